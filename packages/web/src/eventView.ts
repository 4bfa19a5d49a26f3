import { EventStatus, EventType, MsgType, type MatrixEvent } from 'matrix-js-sdk'

const ROOM_MESSAGE: string = EventType.RoomMessage
const ROOM_ENCRYPTED: string = EventType.RoomMessageEncrypted
const EMOTE: string = MsgType.Emote
import type { EventView } from './timelineItems'

// Plain words for the failures people actually meet; anything else shows its code.
const FAILURE_REASONS: Readonly<Record<string, string>> = {
  MEGOLM_UNKNOWN_INBOUND_SESSION_ID: "the sender's keys have not reached this device",
  MEGOLM_KEY_WITHHELD: 'the sender withheld the keys',
  MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE: 'the sender does not trust this device',
  OLM_UNKNOWN_MESSAGE_INDEX: 'this device only has keys for later messages',
  HISTORICAL_MESSAGE_NO_KEY_BACKUP: 'it was sent before this device signed in',
  HISTORICAL_MESSAGE_BACKUP_UNCONFIGURED: 'it was sent before this device signed in',
  HISTORICAL_MESSAGE_WORKING_BACKUP: 'it was sent before this device signed in',
  HISTORICAL_MESSAGE_USER_NOT_JOINED: 'it was sent before you joined',
}

export function decryptionFailureText(code: string | null): string {
  const reason = code === null ? 'unknown error' : (FAILURE_REASONS[code] ?? code)
  return `Unable to decrypt: ${reason}`
}

function pendingState(status: EventStatus | null): EventView['pending'] {
  if (status === null || status === EventStatus.SENT) return undefined
  return status === EventStatus.NOT_SENT ? 'waiting' : 'sending'
}

/**
 * Describes an event for the timeline, or returns undefined for events the timeline does not
 * show (state changes, reactions, edits).
 */
export function toEventView(
  event: MatrixEvent,
  nameOf: (userId: string) => string,
): EventView | undefined {
  const type: string = event.getType()
  const wireType: string = event.getWireType()
  if (type !== ROOM_MESSAGE && wireType !== ROOM_ENCRYPTED) return undefined
  const senderId = event.getSender() ?? ''
  const content = event.getContent()
  const relation: unknown = content['m.relates_to']
  if (
    typeof relation === 'object' &&
    relation !== null &&
    (relation as Record<string, unknown>)['rel_type'] === 'm.replace'
  ) {
    return undefined
  }
  const base = {
    key: event.getId() ?? event.getTxnId() ?? `${senderId}-${event.getTs()}`,
    senderId,
    senderName: nameOf(senderId),
    timestamp: event.getTs(),
  }
  const pending = pendingState(event.status)
  const withPending = pending === undefined ? base : { ...base, pending }
  if (event.isRedacted()) return { ...withPending, kind: 'deleted', body: 'Message deleted' }
  if (event.isDecryptionFailure()) {
    return {
      ...withPending,
      kind: 'undecryptable',
      body: decryptionFailureText(event.decryptionFailureReason),
    }
  }
  if (type !== ROOM_MESSAGE) {
    return { ...withPending, kind: 'decrypting', body: 'Decrypting…' }
  }
  const body = typeof content['body'] === 'string' ? content['body'] : ''
  const formatted: unknown = content['formatted_body']
  const html =
    content['format'] === 'org.matrix.custom.html' && typeof formatted === 'string'
      ? formatted
      : undefined
  const view: EventView = { ...withPending, kind: 'message', body }
  const withHtml = html === undefined ? view : { ...view, html }
  return content['msgtype'] === EMOTE ? { ...withHtml, emote: true } : withHtml
}
