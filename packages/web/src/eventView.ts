import { EventStatus, EventType, MsgType, type MatrixEvent } from 'matrix-js-sdk'

const ROOM_MESSAGE: string = EventType.RoomMessage
const ROOM_ENCRYPTED: string = EventType.RoomMessageEncrypted
const EMOTE: string = MsgType.Emote
import { encryptedFileOf } from './attachments'
import { replyTarget } from './messageRelations'
import { latestEdit, type RelatedEvent, type RelationIndex } from './relations'
import type { EventView, MediaView, QuoteView } from './timelineItems'

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

/** Whether an ID is the server's rather than a local echo's placeholder. */
function serverId(id: string | undefined): string | undefined {
  return id === undefined || id.startsWith('~') ? undefined : id
}

/** Reduces an SDK event to what relation aggregation needs. */
export function toRelatedEvent(event: MatrixEvent): RelatedEvent {
  const content = event.getContent()
  const inContent: unknown = content['m.relates_to']
  // Encrypted events carry the relation outside the ciphertext, where getRelation looks.
  const relation =
    (event.getRelation() as Record<string, unknown> | null) ??
    (typeof inContent === 'object' && inContent !== null
      ? (inContent as Record<string, unknown>)
      : null)
  return {
    id: serverId(event.getId()),
    type: event.getType(),
    sender: event.getSender() ?? '',
    timestamp: event.getTs(),
    redacted: event.isRedacted() || event.localRedactionEvent() !== null,
    relation,
    content: event.getOriginalContent(),
  }
}

/** What the timeline knows beyond the event itself: its relations and its neighbours. */
export interface EventContext {
  readonly relations: RelationIndex
  readonly findEvent: (eventId: string) => MatrixEvent | undefined
}

function mediaOf(content: Record<string, unknown>, body: string): MediaView | undefined {
  const msgtype = content['msgtype']
  if (msgtype !== 'm.image' && msgtype !== 'm.file') return undefined
  const filename = content['filename']
  const name = typeof filename === 'string' && filename !== '' ? filename : body
  const kind: MediaView['kind'] = msgtype === 'm.image' ? 'image' : 'file'
  const info = content['info']
  const facts = typeof info === 'object' && info !== null ? (info as Record<string, unknown>) : {}
  let described: MediaView = { kind, name }
  const { mimetype, w, h } = facts
  if (typeof mimetype === 'string') described = { ...described, mimetype }
  if (kind === 'image' && typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) {
    described = { ...described, width: w, height: h }
  }
  const file = encryptedFileOf(content['file'])
  if (file !== undefined) return { ...described, file }
  const url = content['url']
  return typeof url === 'string' ? { ...described, url } : undefined
}

function quoteOf(
  targetId: string,
  context: EventContext,
  nameOf: (userId: string) => string,
): QuoteView {
  const target = context.findEvent(targetId)
  if (target === undefined) return { eventId: targetId }
  const sender = target.getSender() ?? ''
  const view = toEventView(target, nameOf, context)
  const quote: QuoteView = { eventId: targetId, senderName: nameOf(sender), body: view?.body ?? '' }
  return view?.html === undefined || view.media !== undefined
    ? quote
    : { ...quote, html: view.html }
}

/**
 * Describes an event for the timeline, or returns undefined for events the timeline does not
 * show (state changes, reactions, edits).
 */
export function toEventView(
  event: MatrixEvent,
  nameOf: (userId: string) => string,
  context?: EventContext,
): EventView | undefined {
  const type: string = event.getType()
  const wireType: string = event.getWireType()
  if (type !== ROOM_MESSAGE && wireType !== ROOM_ENCRYPTED) return undefined
  const senderId = event.getSender() ?? ''
  if (event.isRelation('m.replace')) return undefined
  const original = event.getOriginalContent()
  const relation: unknown = original['m.relates_to']
  if (
    typeof relation === 'object' &&
    relation !== null &&
    (relation as Record<string, unknown>)['rel_type'] === 'm.replace'
  ) {
    return undefined
  }
  const eventId = serverId(event.getId())
  const edit =
    eventId === undefined || context === undefined
      ? undefined
      : latestEdit(context.relations, eventId, senderId)
  const content = edit?.newContent ?? original
  const base = {
    key: event.getId() ?? event.getTxnId() ?? `${senderId}-${event.getTs()}`,
    ...(eventId === undefined ? {} : { eventId }),
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
  let view: EventView = { ...withPending, kind: 'message', body }
  if (html !== undefined) view = { ...view, html }
  if (content['msgtype'] === EMOTE) view = { ...view, emote: true }
  if (edit !== undefined) view = { ...view, edited: true }
  const media = mediaOf(content, body)
  if (media !== undefined) view = { ...view, media }
  const reactions = eventId === undefined ? undefined : context?.relations.reactions.get(eventId)
  if (reactions !== undefined && reactions.length > 0) view = { ...view, reactions }
  const replyId = replyTarget(original)
  if (replyId !== undefined && context !== undefined) {
    view = { ...view, replyTo: quoteOf(replyId, context, nameOf) }
  }
  return view
}
