import type { EventId } from '@rhizome/core'
import type { RelationAggregates, ThreadAggregate } from '../relation-store.js'

/** One row of the aggregation query that both dialects run (one statement, three kinds). */
export interface AggregateRow {
  readonly kind: 'edit' | 'thread' | 'reference'
  readonly parent: string
  readonly event_id: string
  /** thread: the number of replies. */
  readonly count: number | null
  /** thread: whether the viewer replied (0/1 in SQLite, a boolean in PostgreSQL). */
  readonly replied: number | boolean | null
  /** reference: the child's stream position, for the order. */
  readonly position: number | null
}

export function aggregatesFromRows(
  rows: readonly AggregateRow[],
): ReadonlyMap<EventId, RelationAggregates> {
  const edits = new Map<EventId, EventId>()
  const threads = new Map<EventId, ThreadAggregate>()
  const references = new Map<EventId, { id: EventId; position: number }[]>()
  for (const row of rows) {
    const parent = row.parent as EventId
    const child = row.event_id as EventId
    if (row.kind === 'edit') edits.set(parent, child)
    else if (row.kind === 'thread') {
      threads.set(parent, {
        count: row.count ?? 0,
        latestEventId: child,
        viewerReplied: row.replied === true || row.replied === 1,
      })
    } else {
      const list = references.get(parent) ?? []
      list.push({ id: child, position: row.position ?? 0 })
      references.set(parent, list)
    }
  }
  const out = new Map<EventId, RelationAggregates>()
  const parents = new Set([...edits.keys(), ...threads.keys(), ...references.keys()])
  for (const parent of parents) {
    const edit = edits.get(parent)
    const thread = threads.get(parent)
    const refs = references.get(parent)
    out.set(parent, {
      ...(edit === undefined ? {} : { latestEdit: edit }),
      ...(thread === undefined ? {} : { thread }),
      ...(refs === undefined
        ? {}
        : { references: refs.sort((a, b) => a.position - b.position).map((r) => r.id) }),
    })
  }
  return out
}
