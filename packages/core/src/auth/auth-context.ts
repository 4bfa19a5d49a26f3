/**
 * What every rule after the create-event rule consults, looked up once per check. All lookups are
 * O(1): the state is a map, and the power levels and creators are read once per event and cached.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import type { Pdu } from '../events/pdu.js'
import type { ReadonlyStateMap } from '../events/state-map.js'
import { isJsonObject } from '../json/json.js'
import { powerLevelOfUser } from '../power-levels/power-levels.js'
import type { PowerLevels } from '../power-levels/power-levels.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { AuthRuleIds } from './rule-ids.js'

export interface AuthCheckOptions {
  /**
   * Verifies the identity server's signature on a third-party invite. Without it no third-party
   * invite can be allowed (the check rejects, with a reason saying why).
   */
  readonly crypto?: CryptoProvider
  /**
   * v8+: whether `pdu` carries a valid signature from `serverName`, for
   * `join_authorised_via_users_server`. Verifying needs that server's keys, which the receive
   * pipeline has already used (checks on receipt, step 2), so by default the rule asks only that a
   * signature from that server be present. A pipeline that does not verify every signature on an
   * event must pass a verifying function here.
   */
  readonly isSignedBy?: (pdu: Pdu, serverName: string) => boolean
}

export interface AuthContext {
  readonly pdu: Pdu
  readonly state: ReadonlyStateMap<Pdu>
  readonly rules: RoomVersionRules
  readonly ids: AuthRuleIds
  readonly create: Pdu
  readonly creators: ReadonlySet<string>
  /** The room's power levels before the event; undefined when there is no such event. */
  readonly powerLevels: PowerLevels | undefined
  readonly senderLevel: number
  readonly options: AuthCheckOptions
}

/** A user's `membership` in the state, or undefined when they have no (well-formed) member event. */
export function membershipOf(state: ReadonlyStateMap<Pdu>, userId: string): string | undefined {
  const membership = state.get('m.room.member', userId)?.content['membership']
  return typeof membership === 'string' ? membership : undefined
}

export function levelOf(context: AuthContext, userId: string): number {
  return powerLevelOfUser(userId, context.powerLevels, context.creators, context.rules)
}

/** The server name of a user ID, room ID or v1-v2 event ID: what follows the first `:`. */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':')
  return colon < 0 ? undefined : id.slice(colon + 1)
}

/** Whether the event's `signatures` holds at least one signature from `serverName`. */
export function hasSignatureFrom(pdu: Pdu, serverName: string): boolean {
  const signatures = pdu.json['signatures']
  if (!isJsonObject(signatures) || !Object.hasOwn(signatures, serverName)) return false
  const byKeyId = signatures[serverName]
  return isJsonObject(byKeyId) && Object.keys(byKeyId).length > 0
}
