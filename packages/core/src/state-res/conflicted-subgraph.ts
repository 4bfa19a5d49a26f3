import { ok, type Result } from '../errors/result.js'
import type { EventId } from '../ids/types.js'
import type { EventSource } from './event-source.js'

interface Frame {
  readonly eventId: EventId
  readonly authIds: readonly EventId[]
  next: number
  reachesConflicted: boolean
}

/**
 * The conflicted state subgraph (state resolution v2.1, room v12): every event on an
 * `auth_events` path from one conflicted event to another, endpoints included. An event belongs
 * to it when it is a conflicted event or an auth ancestor of one (so a path starts above it) and
 * it reaches a conflicted event through its own auth events (so the path goes on below it).
 *
 * One depth-first walk over the auth ancestors of the conflicted events, iterative and memoised,
 * so each event and edge is seen once. A cycle (impossible for valid events) is cut rather than
 * followed, so bad input cannot hang it.
 */
export function conflictedSubgraph(
  conflicted: ReadonlySet<EventId>,
  source: EventSource,
): Result<Set<EventId>> {
  const reaches = new Map<EventId, boolean>()
  const onPath = new Set<EventId>()
  const stack: Frame[] = []

  const enter = (eventId: EventId): Result<void> => {
    const pdu = source.require(eventId)
    if (!pdu.ok) return pdu
    onPath.add(eventId)
    stack.push({
      eventId,
      authIds: source.authEventIds(pdu.value),
      next: 0,
      reachesConflicted: conflicted.has(eventId),
    })
    return OK
  }

  for (const start of conflicted) {
    if (reaches.has(start)) continue
    const entered = enter(start)
    if (!entered.ok) return entered
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const authId = top.authIds[top.next++]
      if (authId !== undefined) {
        const known = reaches.get(authId)
        if (known !== undefined) top.reachesConflicted ||= known
        else if (!onPath.has(authId)) {
          const child = enter(authId)
          if (!child.ok) return child
        }
        continue
      }
      stack.pop()
      onPath.delete(top.eventId)
      reaches.set(top.eventId, top.reachesConflicted)
      const parent = stack.at(-1)
      if (parent !== undefined) parent.reachesConflicted ||= top.reachesConflicted
    }
  }

  const subgraph = new Set<EventId>()
  for (const [eventId, reachesConflicted] of reaches) if (reachesConflicted) subgraph.add(eventId)
  return ok(subgraph)
}

const OK: Result<void> = ok(undefined)
