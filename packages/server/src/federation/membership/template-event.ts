/**
 * This server's event made from a resident server's `make_join`, `make_leave` or `make_knock`
 * template (server-server-api §Joining Rooms and the like): the template as given, with this
 * server as origin, the current time and the content, then hashed and signed. Room versions 1
 * and 2 name events by an ID their origin assigns, which the template cannot carry: one is made
 * here, in the form the event builder uses.
 */
import {
  computeEventId,
  encodeBase64Url,
  err,
  ok,
  hashAndSignEvent,
  type CryptoProvider,
  type EventId,
  type JsonObject,
  type Result,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'

/** Random bytes in an origin-assigned event ID: 18, as the event builder uses. */
const EVENT_ID_RANDOM_BYTES = 18

export interface TemplateSigner {
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly crypto: CryptoProvider
  readonly now: () => number
}

export function signTemplateEvent(
  signer: TemplateSigner,
  template: JsonObject,
  content: JsonObject,
  rules: RoomVersionRules,
): Result<{ readonly json: JsonObject; readonly eventId: EventId }, string> {
  const assigned =
    rules.eventFormat.eventIdFormat === 'origin-assigned'
      ? {
          event_id: `$${encodeBase64Url(signer.crypto.randomBytes(EVENT_ID_RANDOM_BYTES))}:${signer.serverName}`,
        }
      : {}
  const filled: JsonObject = {
    ...template,
    ...assigned,
    origin: signer.serverName,
    origin_server_ts: signer.now(),
    content,
  }
  const json = hashAndSignEvent(filled, rules, signer.serverName, signer.signingKey, signer.crypto)
  const eventId = computeEventId(json, rules, signer.crypto)
  return eventId.ok ? ok({ json, eventId: eventId.value }) : err(eventId.error.error)
}
