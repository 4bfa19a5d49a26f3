/**
 * The authorization rule for `m.room.power_levels` events (rule 10 in v1-v5 and v12, 9 in
 * v6-v11): the content must be well formed, and a sender may only change levels up to their own.
 *
 * "Added, changed or removed" is judged on the values the events hold, not on the defaults, and on
 * their numeric value: `"50"` and `50` are the same level in versions that accept strings.
 */
import { POWER_LEVEL_NAMES, readPowerLevels } from '../power-levels/power-levels.js'
import type { PowerLevels } from '../power-levels/power-levels.js'
import type { AuthRuleId } from './auth-outcome.js'
import { ALLOWED, reject } from './auth-outcome.js'
import type { AuthOutcome } from './auth-outcome.js'
import type { AuthContext } from './auth-context.js'

export function checkPowerLevelsEvent(c: AuthContext): AuthOutcome {
  const { pdu, rules } = c
  const ids = c.ids.powerLevels
  const reading = readPowerLevels(pdu.content, rules)
  if (rules.auth.integerPowerLevels) {
    if (reading.levelsProblem !== undefined) {
      return reject(ids.levelsNotIntegers, reading.levelsProblem)
    }
    const mapProblem = reading.eventsProblem ?? reading.notificationsProblem
    if (mapProblem !== undefined) return reject(ids.mapsNotIntegers, mapProblem)
    if (reading.usersProblem !== undefined) return reject(ids.users, reading.usersProblem)
  } else {
    if (reading.usersProblem !== undefined) return reject(ids.users, reading.usersProblem)
    // Before v10 the rule names only `users`; a level elsewhere that is no number at all cannot be
    // compared by the rules below, and other implementations fail to parse such content too.
    const otherProblem =
      reading.levelsProblem ??
      reading.eventsProblem ??
      (rules.auth.notificationsPowerLevels ? reading.notificationsProblem : undefined)
    if (otherProblem !== undefined) {
      return reject(ids.users, `${otherProblem} (a malformed level, refused under this rule)`)
    }
  }
  const next = reading.powerLevels
  if (rules.auth.privilegedCreators) {
    for (const creator of c.creators) {
      if (next.users.has(creator)) {
        return reject(ids.creatorsInUsers, 'a room creator is listed in users')
      }
    }
  }
  const current = c.powerLevels
  if (current === undefined) return ALLOWED // the room's first power levels
  const senderLevel = c.senderLevel

  for (const name of POWER_LEVEL_NAMES) {
    const before = current.levels[name]
    const after = next.levels[name]
    if (before === after) continue
    if (before !== undefined && before > senderLevel) {
      return reject(ids.levelCurrent, `cannot change ${name} from a level above the sender's`)
    }
    if (after !== undefined && after > senderLevel) {
      return reject(ids.levelNew, `cannot set ${name} above the sender's level`)
    }
  }
  const withNotifications = rules.auth.notificationsPowerLevels
  const removedOrChanged =
    findChangedAbove(current.events, next.events, senderLevel) ??
    (withNotifications
      ? findChangedAbove(current.notifications, next.notifications, senderLevel)
      : undefined)
  if (removedOrChanged !== undefined) {
    return rejectEntry(ids.eventsCurrent, 'change or remove', removedOrChanged, 'above')
  }
  const addedOrChanged =
    findChangedAbove(next.events, current.events, senderLevel) ??
    (withNotifications
      ? findChangedAbove(next.notifications, current.notifications, senderLevel)
      : undefined)
  if (addedOrChanged !== undefined) {
    return rejectEntry(ids.eventsNew, 'set', addedOrChanged, 'above')
  }
  const userChanged = findChangedUser(current, next, pdu.sender, senderLevel)
  if (userChanged !== undefined) {
    return rejectEntry(ids.usersCurrent, 'change or remove', userChanged, 'at or above')
  }
  const userSet = findChangedAbove(next.users, current.users, senderLevel)
  if (userSet !== undefined) return rejectEntry(ids.usersNew, 'set', userSet, 'above')
  return ALLOWED
}

/** The first key of `from` whose value is above `limit` and differs in (or is missing from) `other`. */
function findChangedAbove(
  from: ReadonlyMap<string, number>,
  other: ReadonlyMap<string, number>,
  limit: number,
): string | undefined {
  for (const [key, value] of from) {
    if (value > limit && other.get(key) !== value) return key
  }
  return undefined
}

/** Rule "changed in, or removed from, users": the sender's own entry is exempt. */
function findChangedUser(
  current: PowerLevels,
  next: PowerLevels,
  sender: string,
  senderLevel: number,
): string | undefined {
  for (const [user, value] of current.users) {
    if (user !== sender && value >= senderLevel && next.users.get(user) !== value) return user
  }
  return undefined
}

function rejectEntry(rule: AuthRuleId, verb: string, key: string, where: string): AuthOutcome {
  return reject(rule, `cannot ${verb} the level of ${key}: it is ${where} the sender's`)
}
