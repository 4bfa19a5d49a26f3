/**
 * Reading relations (client-server-api §Relationships API, §Querying threads in a room): the
 * children of an event (`/relations`) and the threads of a room (`/threads`), filtered by history
 * visibility and served with their bundled aggregations.
 */
import { err, ok, type EventId, type Result, type RoomId } from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { Requester } from '../http/authenticate.js'
import { notFound, type ServerError } from '../http/errors.js'
import { formatTimelineToken } from './pagination-token.js'
import { readableUpTo, readAccess } from './read-access.js'
import { historyView, viewerOf, type RoomContext } from './room-context.js'

/** How deep `recurse` follows relations: the spec asks for at least 3, as Synapse does. */
export const RELATIONS_RECURSION_DEPTH = 3
export const DEFAULT_RELATIONS_LIMIT = 5
export const MAX_RELATIONS_LIMIT = 100
export const DEFAULT_THREADS_LIMIT = 5
export const MAX_THREADS_LIMIT = 100

export interface RelationsQuery {
  readonly relType?: string
  readonly eventType?: string
  readonly from?: number
  readonly to?: number
  readonly limit?: number
  readonly dir: 'f' | 'b'
  /** Undefined when the client did not say (then the response has no recursion_depth). */
  readonly recurse?: boolean
}

export interface RelationsPage {
  readonly chunk: ClientEvent[]
  readonly next_batch?: string
  readonly prev_batch?: string
  readonly recursion_depth?: number
}

export async function getRelations(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  parentId: EventId,
  query: RelationsQuery,
): Promise<Result<RelationsPage, ServerError>> {
  const { storage } = ctx.deps
  const missing = notFound('Event not found, or you may not see it')
  const view = historyView(ctx, roomId, requester.userId)
  const [parent, access] = await Promise.all([
    storage.events.getEvent(parentId),
    readAccess(ctx, roomId, requester.userId),
  ])
  if (parent === undefined || parent.pdu.roomId !== roomId || !access.ok) return err(missing)
  if (!(await view.canSee(parent))) return err(missing)

  const limit = clamp(query.limit ?? DEFAULT_RELATIONS_LIMIT, 1, MAX_RELATIONS_LIMIT)
  const backwards = query.dir === 'b'
  const from = query.from ?? (backwards ? await storage.streams.currentPosition() : 0)
  // Nothing after a departure: bound the page at the membership event that ended it.
  const bound = readableUpTo(access.value)
  let start = from
  let to = query.to
  if (bound !== undefined) {
    if (backwards) start = Math.min(from, bound)
    else to = Math.min(to ?? bound, bound)
  }
  const depth = query.recurse === true ? RELATIONS_RECURSION_DEPTH : 1
  const page = await storage.relations.children(roomId, parentId, {
    direction: query.dir,
    from: start,
    ...(to === undefined ? {} : { to }),
    limit,
    depth,
    ...(query.relType === undefined ? {} : { relType: query.relType }),
    ...(query.eventType === undefined ? {} : { eventType: query.eventType }),
  })
  const visible = await view.filter(page.events)
  const chunk = await ctx.serializer.serialize(visible, { viewer: viewerOf(requester) })
  return ok({
    chunk,
    ...(page.next === undefined ? {} : { next_batch: formatTimelineToken(page.next) }),
    ...(query.from === undefined ? {} : { prev_batch: formatTimelineToken(query.from) }),
    ...(query.recurse === undefined ? {} : { recursion_depth: depth }),
  })
}

export interface ThreadsQuery {
  readonly include: 'all' | 'participated'
  readonly from?: number
  readonly limit?: number
}

export interface ThreadsPageJson {
  readonly chunk: ClientEvent[]
  readonly next_batch?: string
}

export async function getThreads(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  query: ThreadsQuery,
): Promise<Result<ThreadsPageJson, ServerError>> {
  const { storage } = ctx.deps
  const access = await readAccess(ctx, roomId, requester.userId)
  if (!access.ok) return access
  const bound = readableUpTo(access.value)
  const page = await storage.relations.threads(roomId, {
    limit: clamp(query.limit ?? DEFAULT_THREADS_LIMIT, 1, MAX_THREADS_LIMIT),
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(bound === undefined ? {} : { upTo: bound }),
    ...(query.include === 'participated' ? { participant: requester.userId } : {}),
  })
  const roots = await historyView(ctx, roomId, requester.userId).filter(
    page.roots.map((root) => root.event),
  )
  const chunk = await ctx.serializer.serialize(roots, { viewer: viewerOf(requester) })
  return ok({
    chunk,
    ...(page.next === undefined ? {} : { next_batch: formatTimelineToken(page.next) }),
  })
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max)
}
