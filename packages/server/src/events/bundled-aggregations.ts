/**
 * Bundled aggregations (client-server-api §Aggregations of child events): which served events get
 * them, and the `unsigned['m.relations']` object made from what storage aggregated. Pure; the
 * serializer loads and serializes the events the aggregations name.
 *
 * - `m.replace` (§Event replacements): the most recent valid edit, serialized; not for a redacted
 *   event.
 * - `m.thread` (§Threading): count, the latest reply (serialized, with its own aggregations) and
 *   whether the viewer sent the root or a reply.
 * - `m.reference` (§Reference relations): the children's event IDs.
 * - `m.annotation` is not aggregated by servers.
 *
 * State events get none, nor do edits and annotations, which nothing may relate to.
 */
import {
  isJsonObject,
  type EventId,
  type JsonObject,
  type JsonValue,
  type UserId,
} from '@rhizome/core'
import type { RelationAggregates } from '../storage/relation-store.js'
import type { StoredEvent } from '../storage/interface.js'
import type { ClientEvent } from './client-event.js'

export interface AggregationCandidates {
  /** Events that may have thread and reference aggregations. */
  readonly parents: EventId[]
  /** Those that may also have an edit bundled: not redacted. */
  readonly editable: EventId[]
}

export function aggregationCandidates(events: readonly StoredEvent[]): AggregationCandidates {
  const parents: EventId[] = []
  const editable: EventId[] = []
  const seen = new Set<EventId>()
  for (const event of events) {
    const { pdu } = event
    if (pdu.stateKey !== undefined || event.rejectionReason !== undefined) continue
    // A redacted event's content has lost its relation, and so has the event.
    const own = event.redactedBy === undefined ? ownRelType(pdu.content) : undefined
    if (own === 'm.replace' || own === 'm.annotation') continue
    if (seen.has(pdu.eventId)) continue
    seen.add(pdu.eventId)
    parents.push(pdu.eventId)
    if (event.redactedBy === undefined) editable.push(pdu.eventId)
  }
  return { parents, editable }
}

function ownRelType(content: JsonObject): JsonValue | undefined {
  const relatesTo = content['m.relates_to']
  return isJsonObject(relatesTo) ? relatesTo['rel_type'] : undefined
}

export interface BundleInput {
  readonly parent: StoredEvent
  readonly aggregates: RelationAggregates | undefined
  /** The serialized events the aggregates name, by ID (missing ones are left out). */
  readonly serialized: ReadonlyMap<EventId, ClientEvent>
  readonly viewer: UserId | undefined
}

/** The `m.relations` object, or undefined when there is nothing to bundle. */
export function bundleOf(input: BundleInput): JsonObject | undefined {
  const { parent, aggregates, serialized, viewer } = input
  if (aggregates === undefined) return undefined
  const out: Record<string, JsonValue> = {}
  const edit =
    aggregates.latestEdit === undefined ? undefined : serialized.get(aggregates.latestEdit)
  if (edit !== undefined && parent.redactedBy === undefined) out['m.replace'] = edit
  const thread = aggregates.thread
  const latest = thread === undefined ? undefined : serialized.get(thread.latestEventId)
  if (thread !== undefined && latest !== undefined) {
    out['m.thread'] = {
      latest_event: latest,
      count: thread.count,
      current_user_participated:
        viewer !== undefined && (thread.viewerReplied || parent.pdu.sender === viewer),
    }
  }
  if (aggregates.references !== undefined && aggregates.references.length > 0) {
    out['m.reference'] = { chunk: aggregates.references.map((id) => ({ event_id: id })) }
  }
  return Object.keys(out).length === 0 ? undefined : out
}
