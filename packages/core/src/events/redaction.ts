import { isJsonObject, type JsonObject, type JsonValue } from '../json/json.js'
import type { RedactionRules, RoomVersionRules } from '../room-versions/rules.js'

/** Top-level keys that survive redaction in every room version. */
const KEPT_TOP_LEVEL_KEYS: readonly string[] = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'auth_events',
  'origin_server_ts',
]

/** Top-level keys that survive redaction only before v11 (MSC2176 stopped protecting them). */
const PRE_V11_TOP_LEVEL_KEYS: readonly string[] = ['prev_state', 'origin', 'membership']

const POWER_LEVELS_KEYS = [
  'ban',
  'events',
  'events_default',
  'kick',
  'redact',
  'state_default',
  'users',
  'users_default',
] as const

/**
 * The redaction algorithm of the room version (rooms/fragments/v1-, v6-, v9-, v11-redactions.md and
 * rooms/v8.md). Returns a new object and never mutates `event`; nested values that are kept are
 * shared with the input, not copied, since JSON values here are treated as immutable.
 *
 * Keys not in the version's list are dropped, including `unsigned` (the algorithm does not list it).
 * The result always has an object `content`, even when the input's content is missing or not an
 * object, as every implementation that hashes a redacted event does.
 */
export function redactEvent(event: JsonObject, rules: RoomVersionRules): JsonObject {
  const redaction = rules.redaction
  const out: Record<string, JsonValue> = {}
  for (const key of KEPT_TOP_LEVEL_KEYS) copyKey(event, out, key)
  if (!redaction.v11Redaction) for (const key of PRE_V11_TOP_LEVEL_KEYS) copyKey(event, out, key)
  const type = ownValue(event, 'type')
  const content = ownValue(event, 'content')
  out['content'] =
    isJsonObject(content) && typeof type === 'string' ? redactContent(type, content, redaction) : {}
  return out
}

/**
 * The content keys an event of `type` keeps when redacted. Exported for the server, which must
 * also apply it to the content of events it serves to clients after a redaction.
 */
export function redactContent(
  type: string,
  content: JsonObject,
  redaction: RedactionRules,
): JsonObject {
  const out: Record<string, JsonValue> = {}
  switch (type) {
    case 'm.room.member': {
      copyKey(content, out, 'membership')
      if (redaction.keepJoinAuthorisedViaUsersServer) {
        copyKey(content, out, 'join_authorised_via_users_server')
      }
      if (redaction.v11Redaction) {
        // Only `signed` is needed to re-check the invite. Like Synapse (the reference
        // implementation of MSC3821), an object `third_party_invite` is kept even when it has no
        // `signed`, as an empty object; a non-object one is dropped.
        const invite = ownValue(content, 'third_party_invite')
        if (isJsonObject(invite)) {
          const keptInvite: Record<string, JsonValue> = {}
          copyKey(invite, keptInvite, 'signed')
          out['third_party_invite'] = keptInvite
        }
      }
      break
    }
    case 'm.room.create':
      if (redaction.v11Redaction) return content
      copyKey(content, out, 'creator')
      break
    case 'm.room.join_rules':
      copyKey(content, out, 'join_rule')
      if (redaction.keepJoinRulesAllow) copyKey(content, out, 'allow')
      break
    case 'm.room.power_levels':
      for (const key of POWER_LEVELS_KEYS) copyKey(content, out, key)
      if (redaction.v11Redaction) copyKey(content, out, 'invite')
      break
    case 'm.room.history_visibility':
      copyKey(content, out, 'history_visibility')
      break
    case 'm.room.aliases':
      if (redaction.keepAliasesContent) copyKey(content, out, 'aliases')
      break
    case 'm.room.redaction':
      if (redaction.v11Redaction) copyKey(content, out, 'redacts')
      break
  }
  return out
}

/** Own properties only, so nothing inherited from a prototype can survive redaction. */
function ownValue(from: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(from, key) ? from[key] : undefined
}

function copyKey(from: JsonObject, to: Record<string, JsonValue>, key: string): void {
  const value = ownValue(from, key)
  if (value !== undefined) to[key] = value
}
