/**
 * What storage indexes about an event when it persists it: its relation to a parent
 * (client-server-api §Forming relationships between events) and the text that server-side search
 * covers (§Server Side Search, room_events). Both are read from the content once, at write time,
 * so that reads never parse event JSON to find children or words.
 */
import { isJsonObject, utf8ByteLength, type EventId, type JsonValue, type Pdu } from '@rhizome/core'

/** Identifiers are at most 255 bytes (appendices §Identifier grammar). */
const MAX_ID_BYTES = 255

export interface EventRelation {
  readonly relType: string
  /** The parent. */
  readonly relatesTo: EventId
  /** `m.relates_to.key` of an `m.annotation` (the reaction), for the duplicate check. */
  readonly key: string | undefined
  /**
   * The content could replace its parent's (§Validity of replacement events): an object
   * `m.new_content`, or encrypted (where it is inside the ciphertext). Kept for `m.replace` reads,
   * which then need no event JSON.
   */
  readonly hasNewContent: boolean
}

/** The keys search can cover, as the spec names them. */
export type SearchKey = 'content.body' | 'content.name' | 'content.topic'
export const SEARCH_KEYS: readonly SearchKey[] = ['content.body', 'content.name', 'content.topic']

export interface SearchEntry {
  readonly key: SearchKey
  readonly text: string
}

/**
 * The event's relation, when its (cleartext) content has a well-formed `m.relates_to`: a string
 * `rel_type` and an event ID other than its own. Rich replies (`m.in_reply_to` without a
 * `rel_type`) are not relations of this kind.
 */
export function relationOf(pdu: Pdu): EventRelation | undefined {
  const relatesTo: JsonValue | undefined = pdu.content['m.relates_to']
  if (!isJsonObject(relatesTo)) return undefined
  const relType = relatesTo['rel_type']
  const target = relatesTo['event_id']
  if (typeof relType !== 'string' || !storable(relType) || typeof target !== 'string') {
    return undefined
  }
  // Any string shaped like an event ID: which shape is valid depends on the parent's room
  // version, and a parent that does not exist simply never gets served.
  if (!target.startsWith('$') || !storable(target) || utf8ByteLength(target) > MAX_ID_BYTES) {
    return undefined
  }
  if (target === pdu.eventId) return undefined
  const key = relatesTo['key']
  return {
    relType,
    relatesTo: target as EventId,
    key: relType === 'm.annotation' && typeof key === 'string' && storable(key) ? key : undefined,
    hasNewContent: pdu.type === 'm.room.encrypted' || isJsonObject(pdu.content['m.new_content']),
  }
}

/**
 * The searchable text of the event: `body` of `m.room.message`, `name` of `m.room.name`, and of
 * `m.room.topic` the `topic` with the `text/plain` representation of `m.topic` when that says
 * something else. Undefined for every other event and for empty text.
 */
export function searchEntryOf(pdu: Pdu): SearchEntry | undefined {
  const { content } = pdu
  switch (pdu.type) {
    case 'm.room.message':
      return entry('content.body', [content['body']])
    case 'm.room.name':
      return pdu.stateKey === '' ? entry('content.name', [content['name']]) : undefined
    case 'm.room.topic':
      return pdu.stateKey === ''
        ? entry('content.topic', [content['topic'], plainTopic(content['m.topic'])])
        : undefined
    default:
      return undefined
  }
}

/** PostgreSQL text cannot hold U+0000, which JSON strings can. */
function storable(value: string): boolean {
  return value !== '' && !value.includes('\u0000')
}

function entry(
  key: SearchKey,
  values: readonly (JsonValue | undefined)[],
): SearchEntry | undefined {
  const texts: string[] = []
  for (const value of values) {
    if (typeof value !== 'string') continue
    const text = value.replaceAll('\u0000', ' ')
    if (text.trim() !== '' && !texts.includes(text)) texts.push(text)
  }
  return texts.length === 0 ? undefined : { key, text: texts.join('\n') }
}

/** The `text/plain` body of an `m.topic` content block (mimetype absent means text/plain). */
function plainTopic(block: JsonValue | undefined): JsonValue | undefined {
  if (!isJsonObject(block)) return undefined
  const representations = block['m.text']
  if (!Array.isArray(representations)) return undefined
  for (const representation of representations as readonly JsonValue[]) {
    if (!isJsonObject(representation)) continue
    const mimetype = representation['mimetype']
    if (mimetype === undefined || mimetype === 'text/plain') return representation['body']
  }
  return undefined
}
