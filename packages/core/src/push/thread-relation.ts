/**
 * Which thread an event belongs to (client-server-api §Threading, §Threaded read receipts): an
 * event with an `m.thread` relation is in the thread of the event it relates to; an event with
 * another relation is in the thread of its parent, followed for a few hops; anything else, thread
 * roots included, is in the main timeline, whose thread ID is `main`.
 */
import type { JsonObject } from '../json/json.js'
import { isJsonObject } from '../json/json.js'

export const MAIN_THREAD = 'main'

/** The hops worth following before deciding an event is not in a thread (the spec suggests 3). */
export const MAX_THREAD_HOPS = 3

export type ThreadStep =
  | { readonly kind: 'thread'; readonly rootId: string }
  | { readonly kind: 'parent'; readonly eventId: string }
  | { readonly kind: 'main' }

/** One step of the search: what an event's own `m.relates_to` says. */
export function threadStep(content: JsonObject): ThreadStep {
  const relation = content['m.relates_to']
  if (!isJsonObject(relation)) return { kind: 'main' }
  const relType = relation['rel_type']
  const eventId = relation['event_id']
  if (typeof relType !== 'string' || typeof eventId !== 'string' || eventId === '') {
    return { kind: 'main' }
  }
  return relType === 'm.thread' ? { kind: 'thread', rootId: eventId } : { kind: 'parent', eventId }
}

/**
 * The thread of an event whose content is `content`, looking parents up with `parentContent`
 * (undefined for an unknown event, which ends the search in the main timeline).
 */
export function threadOf(
  content: JsonObject,
  parentContent: (eventId: string) => JsonObject | undefined,
  maxHops = MAX_THREAD_HOPS,
): string {
  let step = threadStep(content)
  for (let hop = 0; hop < maxHops && step.kind === 'parent'; hop++) {
    const parent = parentContent(step.eventId)
    if (parent === undefined) return MAIN_THREAD
    step = threadStep(parent)
  }
  return step.kind === 'thread' ? step.rootId : MAIN_THREAD
}
