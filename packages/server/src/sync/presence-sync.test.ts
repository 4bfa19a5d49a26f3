import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { PresenceEvent } from '../presence/presence-service.js'
import { DEFAULT_SYNC_FILTER, parseSyncFilter, type SyncFilter } from './filter/sync-filter.js'
import { presenceEvents, type SyncPresence } from './presence-sync.js'

const alice = '@alice:x' as UserId
const bob = '@bob:x' as UserId
const carol = '@carol:x' as UserId

function event(sender: UserId): PresenceEvent {
  return { type: 'm.presence', sender, content: { presence: 'online' } }
}

function source(events: PresenceEvent[]): SyncPresence & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    syncStarted: () => Promise.resolve(() => undefined),
    events: (...args) => {
      calls.push(args)
      return Promise.resolve(events)
    },
  }
}

function filter(json: object): SyncFilter {
  const parsed = parseSyncFilter(json as never)
  if (!parsed.ok) throw new Error(parsed.error.error)
  return parsed.value
}

const params = { userId: alice, since: 3, upTo: 9 }

describe('presenceEvents', () => {
  it('passes the range through and keeps every event by default', async () => {
    const presence = source([event(bob), event(alice)])
    const out = await presenceEvents(presence, { ...params, filter: DEFAULT_SYNC_FILTER })
    expect(out.map((e) => e.sender)).toEqual([bob, alice])
    expect(presence.calls).toEqual([[alice, 3, 9]])
  })

  it('applies the presence filter: senders, types and the limit (newest kept)', async () => {
    const all = [event(bob), event(carol), event(alice)]
    const notBob = filter({ presence: { not_senders: [bob] } })
    expect(
      (await presenceEvents(source(all), { ...params, filter: notBob })).map((e) => e.sender),
    ).toEqual([carol, alice])
    const limited = filter({ presence: { limit: 2 } })
    expect(
      (await presenceEvents(source(all), { ...params, filter: limited })).map((e) => e.sender),
    ).toEqual([carol, alice])
    const none = source(all)
    const noTypes = filter({ presence: { types: [] } })
    expect(await presenceEvents(none, { ...params, filter: noTypes })).toEqual([])
    // Filtered out entirely: nothing is read.
    expect(none.calls).toEqual([])
  })

  it('has nothing when presence is disabled', async () => {
    expect(await presenceEvents(undefined, { ...params, filter: DEFAULT_SYNC_FILTER })).toEqual([])
  })
})
