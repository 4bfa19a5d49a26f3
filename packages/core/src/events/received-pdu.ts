import type { CryptoProvider } from '../crypto/provider.js'
import { ED25519 } from '../crypto/signing-key.js'
import { matrixError } from '../errors/matrix-error.js'
import { err, ok, type Result } from '../errors/result.js'
import { parseUserId, userIdServerName } from '../ids/user-id.js'
import { isJsonObject, type JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { verifyEventSignature } from './event-signing.js'
import { checkContentHash } from './hashes.js'
import { loadTrustedPdu, parseUntrustedPdu } from './parse-pdu.js'
import type { Pdu } from './pdu.js'
import { redactEvent } from './redaction.js'

/**
 * The verify keys a server published, as far as the caller knows them: by key ID, the public keys
 * that may be used for an event sent at `eventTs`. Where the room version enforces key validity
 * (v5 and later) `eventTs` is the event's origin_server_ts, and a key whose validity (the lesser of
 * valid_until_ts and seven days after it was fetched) ends before it is left out; for older rooms
 * `eventTs` is undefined and validity is not checked. Keys the caller cannot find are left out:
 * a signature by an unknown key is skipped, as the spec says.
 */
export type ServerKeyLookup = (
  serverName: string,
  keyIds: readonly string[],
  eventTs: number | undefined,
) => Promise<ReadonlyMap<string, Uint8Array>>

export interface ReceivedPdu {
  /** The event as it is to be used: the redacted copy when the content hash did not match. */
  readonly pdu: Pdu
  /** Its content hash did not match: the sender gave a redacted copy, or tampered with it. */
  readonly redacted: boolean
}

/**
 * The first three checks on receipt of a PDU (server-server-api §Checks performed on receipt of a
 * PDU, §Validating hashes and signatures on received events): it is a valid event of the room
 * version, every signature by a known, valid key of the servers that must sign it verifies, each of
 * those servers signed with at least one such key, and its content hash matches, or else it is
 * replaced by its redacted form. Authorization (steps 4 to 6) needs the room's state and is the
 * caller's.
 *
 * The servers that must sign: the sender's; in rooms v1-v2, also the one in the event ID; from v8,
 * for a join through a restricted join rule, the server of the user in
 * `join_authorised_via_users_server` (whose signature the auth rules rely on).
 *
 * Failures: the format errors of parseUntrustedPdu, and M_INVALID_SIGNATURE for a missing or
 * bad signature. Never throws.
 */
export async function checkReceivedPdu(
  json: unknown,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
  keys: ServerKeyLookup,
): Promise<Result<ReceivedPdu>> {
  const parsed = parseUntrustedPdu(json, rules, crypto)
  if (!parsed.ok) return parsed
  const pdu = parsed.value
  const eventTs = rules.eventFormat.enforceKeyValidity ? pdu.originServerTs : undefined
  for (const server of requiredSigners(pdu, rules)) {
    const checked = await checkServerSignatures(pdu.json, server, rules, crypto, keys, eventTs)
    if (!checked.ok) return checked
  }
  if (checkContentHash(pdu.json, crypto)) return ok({ pdu, redacted: false })
  const redacted = redactEvent(pdu.json, rules)
  return ok({ pdu: loadTrustedPdu(redacted, pdu.eventId, rules), redacted: true })
}

/** The servers whose signatures an event must carry, in a stable order. */
export function requiredSigners(pdu: Pdu, rules: RoomVersionRules): string[] {
  const servers = new Set<string>()
  servers.add(userIdServerName(pdu.sender))
  if (rules.eventFormat.eventIdFormat === 'origin-assigned') {
    // parseUntrustedPdu checked `$opaque:server`.
    servers.add(pdu.eventId.slice(pdu.eventId.indexOf(':') + 1))
  }
  if (rules.auth.restrictedJoinRule && pdu.type === 'm.room.member') {
    const via = pdu.content['join_authorised_via_users_server']
    const user = typeof via === 'string' ? parseUserId(via) : undefined
    // A malformed one is the auth rules' to refuse.
    if (pdu.content['membership'] === 'join' && user?.ok === true) {
      servers.add(userIdServerName(user.value))
    }
  }
  return [...servers]
}

async function checkServerSignatures(
  event: JsonObject,
  server: string,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
  keys: ServerKeyLookup,
  eventTs: number | undefined,
): Promise<Result<void>> {
  const signatures = event['signatures']
  const byServer = isJsonObject(signatures) ? signatures[server] : undefined
  const keyIds = isJsonObject(byServer)
    ? Object.keys(byServer).filter((id) => id.startsWith(`${ED25519}:`))
    : []
  if (keyIds.length === 0) return err(unauthorized(`the event has no signature from ${server}`))
  const known = await keys(server, keyIds, eventTs)
  let verified = 0
  for (const keyId of keyIds) {
    const publicKey = known.get(keyId)
    if (publicKey === undefined) continue
    const checked = verifyEventSignature(event, rules, server, keyId, publicKey, crypto)
    if (!checked.ok) {
      return err(unauthorized(`the signature of ${server} with ${keyId} does not verify`))
    }
    verified++
  }
  if (verified === 0) {
    return err(unauthorized(`no signature of ${server} by a key known to be valid for the event`))
  }
  return ok(undefined)
}

function unauthorized(message: string): ReturnType<typeof matrixError> {
  return matrixError('M_INVALID_SIGNATURE', message)
}
