/**
 * State resolution between two forks of a room with 10,000 members. Both forks share the 10,000
 * joins; then each server changed the power levels and a handful of memberships on its own fork
 * (see `largeRoomFork`). Target: well under one second per resolution.
 *
 * Baseline, in the same process: merging the two 10,000-entry state maps into one (what any
 * resolution must at least do), so the figure reads as "N times a plain merge".
 *
 * Run alone: npm run bench -w @rhizome/core -- state-res
 */
import { StateMap } from '../src/events/state-map.js'
import type { EventId } from '../src/ids/types.js'
import { roomVersionRules } from '../src/room-versions/room-versions.js'
import { resolveState } from '../src/state-res/resolve.js'
import { largeRoomFork } from '../src/testing/state-res-dag.js'
import { compare, section } from './harness.js'

const MEMBERS = 10_000

export function run(): void {
  section('state resolution', `two forks of a room with ${MEMBERS.toLocaleString('en-US')} members`)
  // Room v1 (~10 ms, the old algorithm) is left out to keep the run short.
  for (const version of ['10', '12']) {
    const rules = roomVersionRules(version)
    if (rules === undefined) throw new Error(`no room version ${version}`)
    const room = largeRoomFork(rules, MEMBERS)
    const resolve = () => {
      const result = resolveState(room.forks, room.fetch, room.rules)
      if (!result.ok) throw new Error(result.error.error)
      return result.value
    }
    const { opsPerSecond, baselineOpsPerSecond } = compare(
      `resolveState, room v${version} (${rules.stateResolution}), vs merging the two state maps`,
      resolve,
      () => merge(room.forks),
    )
    console.log(
      `  one resolution: ${(1000 / opsPerSecond).toFixed(2)} ms ` +
        `(merge: ${(1000 / baselineOpsPerSecond).toFixed(2)} ms; target < 1000 ms)`,
    )
  }
}

/** The least any resolution does: one map with every key of both forks. */
function merge(forks: readonly StateMap<EventId>[]): StateMap<EventId> {
  const merged = new StateMap<EventId>()
  for (const fork of forks) {
    for (const [type, stateKey, id] of fork) {
      if (!merged.has(type, stateKey)) merged.set(type, stateKey, id)
    }
  }
  return merged
}
