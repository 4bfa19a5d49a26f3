import { ok, type Result } from '../errors/result.js'
import type { Pdu } from '../events/pdu.js'
import { creators } from '../power-levels/creators.js'
import { powerLevelOfUser, readPowerLevels } from '../power-levels/power-levels.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { EventSource } from './event-source.js'

/**
 * The power level of an event's sender "when looking at its auth events", the first tie-break of
 * the reverse topological power ordering. It reads the power levels and create event among the
 * event's own auth events, not the room state: from room v12 the creators outrank everyone
 * (`Infinity`); otherwise the power levels decide, and without power levels the creator has 100
 * and everyone else 0.
 */
export function senderPowerLevel(
  pdu: Pdu,
  source: EventSource,
  rules: RoomVersionRules,
): Result<number> {
  let powerLevels: Pdu | undefined
  let create: Pdu | undefined
  for (const authId of source.authEventIds(pdu)) {
    const auth = source.require(authId)
    if (!auth.ok) return auth
    if (auth.value.stateKey !== '') continue
    if (auth.value.type === 'm.room.power_levels') powerLevels ??= auth.value
    else if (auth.value.type === 'm.room.create') create ??= auth.value
  }
  return ok(
    powerLevelOfUser(
      pdu.sender,
      powerLevels === undefined
        ? undefined
        : readPowerLevels(powerLevels.content, rules).powerLevels,
      create === undefined ? NO_CREATORS : creators(create, rules),
      rules,
    ),
  )
}

const NO_CREATORS: ReadonlySet<string> = new Set()
