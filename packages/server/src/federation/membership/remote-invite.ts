/**
 * Inviting a user of another server (server-server-api §Inviting to a room), the inviting
 * server's half: the invite this server built is sent to the invitee's server with
 * `PUT /_matrix/federation/v2/invite`, along with the room's identifying state, and comes back
 * with that server's signature, which must verify. The event then goes into the room as usual,
 * carrying both signatures.
 */
import {
  err,
  isJsonObject,
  loadTrustedPdu,
  ok,
  parseUserId,
  userIdServerName,
  verifyEventSignature,
  withSignature,
  type CryptoProvider,
  type JsonObject,
  type Pdu,
  type Result,
  type RoomVersionRules,
} from '@rhizome/core'
import { serverError, type ServerError } from '../../http/errors.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { remoteFailure } from './remote-membership.js'

export interface RemoteInviteDeps {
  readonly requester: Pick<FederationRequester, 'request'>
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly crypto: CryptoProvider
}

/** The invite with the invitee's server's signature added. */
export async function sendRemoteInvite(
  deps: RemoteInviteDeps,
  invite: Pdu,
  rules: RoomVersionRules,
  roomState: readonly JsonObject[],
): Promise<Result<Pdu, ServerError>> {
  const invitee = parseUserId(invite.stateKey ?? '')
  if (!invitee.ok) throw new Error(`${invite.eventId} does not invite a user`)
  const server = userIdServerName(invitee.value)
  const path =
    `/_matrix/federation/v2/invite/${encodeURIComponent(invite.roomId)}/` +
    encodeURIComponent(invite.eventId)
  const sent = await deps.requester.request(server, 'PUT', path, {
    room_version: rules.id,
    event: invite.json,
    invite_room_state: [...roomState],
  })
  if (!sent.ok) return err(remoteFailure('invite', sent.error))
  const answer = sent.value.body
  const returned = isJsonObject(answer) ? answer['event'] : undefined
  const theirs = isJsonObject(returned) ? returned['signatures'] : undefined
  const signatures = isJsonObject(theirs) ? theirs[server] : undefined
  if (!isJsonObject(signatures)) {
    return err(badGateway(`${server} answered the invite without its signature`))
  }
  // Only their signature is taken: the rest of the event stays the one this server built.
  let signed = invite.json
  let verified = 0
  for (const [keyId, signature] of Object.entries(signatures)) {
    if (typeof signature !== 'string' || !keyId.startsWith('ed25519:')) continue
    const key = await deps.keys.verifyKey(server, keyId, invite.originServerTs)
    if (!key.ok) continue
    const candidate = withSignature(signed, server, keyId, signature)
    const checked = verifyEventSignature(candidate, rules, server, keyId, key.value, deps.crypto)
    if (!checked.ok) return err(badGateway(`${server}’s signature on the invite does not verify`))
    signed = candidate
    verified++
  }
  if (verified === 0) {
    return err(badGateway(`${server}’s signature on the invite is by no key known to be valid`))
  }
  return ok(loadTrustedPdu(signed, invite.eventId, rules))
}

function badGateway(message: string): ServerError {
  return serverError('M_UNKNOWN', message, { status: 502 })
}
