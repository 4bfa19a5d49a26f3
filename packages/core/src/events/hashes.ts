import type { CryptoProvider } from '../crypto/provider.js'
import { UNSIGNED_KEYS } from '../crypto/signing.js'
import { decodeBase64, encodeBase64, encodeBase64Url } from '../encoding/base64.js'
import { invalidParam } from '../errors/matrix-error.js'
import { err, type Result } from '../errors/result.js'
import { parseEventId } from '../ids/event-id.js'
import { parseRoomId } from '../ids/room-id.js'
import type { EventId, RoomId } from '../ids/types.js'
import { canonicalJsonWithout } from '../json/canonical-json.js'
import { isJsonObject, type JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { redactEvent } from './redaction.js'

/**
 * What the content hash does not cover: `unsigned`, `signatures` and `hashes` (server-server-api
 * §Calculating the content hash), and also the top-level `age_ts`, `outlier` and `destinations`.
 * Those three are not in the spec, but early Synapse put them in PDUs; Synapse leaves them out of
 * the content hash and gomatrixserverlib strips them from incoming events, so events from that time
 * only hash correctly without them. No current server emits them, so for any other event the
 * result is the spec's.
 */
const CONTENT_HASH_EXCLUDED: readonly string[] = [
  'unsigned',
  'signatures',
  'hashes',
  'age_ts',
  'outlier',
  'destinations',
]

/**
 * The content hash of an event (server-server-api §Calculating the content hash): sha256 of the
 * canonical JSON of the whole, unredacted event without the keys above, in unpadded standard
 * base64, as it goes in `hashes.sha256`.
 */
export function computeContentHash(event: JsonObject, crypto: CryptoProvider): string {
  return encodeBase64(contentHashBytes(event, crypto))
}

function contentHashBytes(event: JsonObject, crypto: CryptoProvider): Uint8Array {
  return crypto.sha256(canonicalJsonWithout(event, CONTENT_HASH_EXCLUDED))
}

/**
 * Whether `hashes.sha256` matches the event's content hash. False when it is missing, not a string
 * or not base64. On false, the receiving server uses the redacted event in place of the one it got
 * (server-server-api §Validating hashes and signatures on received events).
 */
export function checkContentHash(event: JsonObject, crypto: CryptoProvider): boolean {
  const hashes = event['hashes']
  if (!isJsonObject(hashes)) return false
  const claimed = hashes['sha256']
  if (typeof claimed !== 'string') return false
  // Python's decoder (Synapse) ignores the unused bits of the last character, so we do too: a
  // hash that Synapse accepts must not be refused here over them.
  const decoded = decodeBase64(claimed, { allowTrailingBits: true })
  if (!decoded.ok) return false
  const actual = contentHashBytes(event, crypto)
  const expected = decoded.value
  if (expected.length !== actual.length) return false
  for (let i = 0; i < actual.length; i++) if (expected[i] !== actual[i]) return false
  return true
}

/**
 * The reference hash of an event (server-server-api §Calculating the reference hash): sha256 of the
 * canonical JSON of the redacted event without `signatures` and `unsigned`. Redaction keeps
 * `hashes`, so the reference hash covers the full content through the content hash.
 *
 * Redaction keeps a top-level `event_id` in every room version, so in v1-v2, where the event carries
 * its own ID, the reference hash covers that ID (and `origin`, `membership` and `prev_state`, which
 * redaction keeps before v11); those are the hashes quoted in v1-v2 `prev_events`/`auth_events`
 * pairs.
 */
export function computeReferenceHash(
  event: JsonObject,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
): Uint8Array {
  return crypto.sha256(canonicalJsonWithout(redactEvent(event, rules), UNSIGNED_KEYS))
}

/**
 * The event's ID under the room version's format: in v1-v2 the `event_id` the origin server put in
 * the event (checked against the grammar: M_INVALID_PARAM if missing or malformed); in v3 `$` and
 * the reference hash in standard unpadded base64; from v4 the same in URL-safe base64.
 */
export function computeEventId(
  event: JsonObject,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
): Result<EventId> {
  const format = rules.eventFormat.eventIdFormat
  switch (format) {
    case 'origin-assigned': {
      const own = event['event_id']
      if (typeof own !== 'string') {
        return err(invalidParam(`an event in room version ${rules.id} must carry its event_id`))
      }
      return parseEventId(own, format)
    }
    case 'reference-hash-standard':
      return parseEventId('$' + encodeBase64(computeReferenceHash(event, rules, crypto)), format)
    case 'reference-hash-url-safe':
      return parseEventId('$' + encodeBase64Url(computeReferenceHash(event, rules, crypto)), format)
  }
}

/**
 * The room ID that a create event founds, in room versions where the room ID is the create event's
 * ID with `!` for `$` (v12: rooms/fragments/v12-event-format.md, appendices §Room IDs): `!` and
 * the URL-safe reference hash.
 * M_INVALID_PARAM if the room version names rooms otherwise or the event is not `m.room.create`.
 */
export function computeRoomIdFromCreateEvent(
  createEvent: JsonObject,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
): Result<RoomId> {
  if (!rules.eventFormat.roomIdIsCreateEventHash) {
    return err(invalidParam(`room IDs in room version ${rules.id} are not create event hashes`))
  }
  if (createEvent['type'] !== 'm.room.create') {
    return err(invalidParam('only an m.room.create event founds a room ID'))
  }
  // The create event's ID in such a version is its URL-safe reference hash, so the room ID is the
  // same hash behind a `!`.
  return parseRoomId('!' + encodeBase64Url(computeReferenceHash(createEvent, rules, crypto)))
}
