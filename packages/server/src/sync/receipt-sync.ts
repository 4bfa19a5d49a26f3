import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import type { ReceiptRecord, ReceiptStore } from '../storage/receipt-store.js'
import { eventMatches, roomListed } from './filter/event-match.js'
import type { SyncFilter } from './filter/sync-filter.js'
import type { EphemeralEvent } from './sync-response.js'

export interface ReceiptSyncDeps {
  readonly storage: { readonly receipts: ReceiptStore }
}

export interface ReceiptSyncParams {
  readonly userId: UserId
  readonly since: number | undefined
  readonly upTo: number
  readonly filter: SyncFilter
}

/**
 * The `m.receipt` event of each joined room (client-server-api §Receipts): for a room the client
 * knows, the receipts that changed in (since, upTo], which it merges into what it has; for a room
 * new to it (an initial sync, a join in the range), every current receipt. Private receipts are
 * only the user's own. One event per room, batching every receipt in it; one read for all rooms,
 * or two when some are new.
 */
export async function receiptEvents(
  deps: ReceiptSyncDeps,
  params: ReceiptSyncParams,
  joinedRoomIds: readonly RoomId[],
  newRoomIds: ReadonlySet<RoomId>,
): Promise<Map<RoomId, EphemeralEvent[]>> {
  const out = new Map<RoomId, EphemeralEvent[]>()
  const rules = params.filter.room.ephemeral
  if (!eventMatches(rules, { type: 'm.receipt' })) return out
  const rooms = joinedRoomIds.filter((roomId) => roomListed(rules, roomId))
  const { since, upTo, userId } = params
  const fresh = since === undefined ? rooms : rooms.filter((roomId) => newRoomIds.has(roomId))
  const known = since === undefined ? [] : rooms.filter((roomId) => !newRoomIds.has(roomId))
  const [changed, current] = await Promise.all([
    known.length === 0 ? [] : deps.storage.receipts.receiptsSince(known, userId, since, upTo),
    fresh.length === 0 ? [] : deps.storage.receipts.receiptsSince(fresh, userId, undefined, upTo),
  ])
  const byRoom = new Map<RoomId, ReceiptRecord[]>()
  for (const receipt of [...changed, ...current]) {
    const list = byRoom.get(receipt.roomId) ?? []
    list.push(receipt)
    byRoom.set(receipt.roomId, list)
  }
  for (const [roomId, receipts] of byRoom) {
    out.set(roomId, [{ type: 'm.receipt', content: receiptContent(receipts) }])
  }
  return out
}

/** `{ eventId: { receiptType: { userId: { ts, thread_id? } } } }`, later receipts last. */
export function receiptContent(receipts: readonly ReceiptRecord[]): JsonObject {
  const content: Record<string, Record<string, Record<string, JsonObject>>> = {}
  for (const r of receipts) {
    const byType = (content[r.eventId] ??= {})
    const byUser = (byType[r.receiptType] ??= {})
    byUser[r.userId] = r.threadId === undefined ? { ts: r.ts } : { ts: r.ts, thread_id: r.threadId }
  }
  return content
}
