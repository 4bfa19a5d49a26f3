/**
 * Read receipts between servers (server-server-api §Receipts): the `m.receipt` EDU, keyed by
 * room, receipt type and user, sent to the servers of the room's joined members for each public
 * (`m.read`) receipt of a user of this server; private receipts stay here. Other servers' receipts
 * are taken for their own users, joined to rooms this server is in, and stored as local ones are,
 * so clients see them in the room's ephemeral `m.receipt` events.
 */
import {
  isJsonObject,
  type EventId,
  type JsonObject,
  type JsonValue,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { membersHere, roomIdOf, userOfOrigin } from '../federation/edu/edu-checks.js'
import type { EduOutbox } from '../federation/edu/edu-outbox.js'
import type { EduHandler } from '../federation/edu/inbound-edus.js'
import type { Logger } from '../logging/logger.js'
import type { EventStore, RoomStore, StoredEvent } from '../storage/interface.js'
import type { NewReceipt, ReceiptStore } from '../storage/receipt-store.js'
import type { ReceiptFederation } from './receipt-service.js'

export const RECEIPT_EDU = 'm.receipt'
/** The one receipt type that crosses servers. */
const PUBLIC_READ = 'm.read'
/** A receipt naming more events than this is not a receipt a server would send. */
const MAX_EVENT_IDS = 100

export function receiptEdu(receipt: NewReceipt): JsonObject {
  const data: JsonObject =
    receipt.threadId === undefined
      ? { ts: receipt.ts }
      : { ts: receipt.ts, thread_id: receipt.threadId }
  return {
    [receipt.roomId]: {
      [PUBLIC_READ]: { [receipt.userId]: { event_ids: [receipt.eventId], data } },
    },
  }
}

/** What the receipt service tells, queued for the servers of the room. */
export function receiptFederation(outbox: Pick<EduOutbox, 'toRoom'>): ReceiptFederation {
  return {
    send: (receipt) => {
      outbox.toRoom(receipt.roomId, { edu_type: RECEIPT_EDU, content: receiptEdu(receipt) })
    },
  }
}

export interface ReceiptEduDeps {
  readonly storage: {
    readonly rooms: Pick<RoomStore, 'joinedMembers'>
    readonly events: Pick<EventStore, 'getEvents'>
    readonly receipts: Pick<ReceiptStore, 'put'>
  }
  readonly serverName: ServerName
  readonly now: () => number
  readonly logger?: Pick<Logger, 'debug'>
}

/**
 * Takes `m.receipt` from `origin`. Each receipt stands alone: one that is malformed, of another
 * server's user, of a user not joined, or for events this server does not have in the room's
 * timeline is dropped, and the others are stored.
 */
export function receiptEduHandler(deps: ReceiptEduDeps): EduHandler {
  return async (origin, content) => {
    for (const [rawRoomId, byType] of Object.entries(content)) {
      const roomId = roomIdOf(rawRoomId)
      if (roomId === undefined || !isJsonObject(byType)) continue
      const byUser = byType[PUBLIC_READ]
      if (!isJsonObject(byUser)) continue
      const members = await membersHere(deps.storage.rooms, deps.serverName, roomId)
      if (members === undefined) {
        deps.logger?.debug({ origin, room_id: roomId }, 'dropped m.receipt for a room not here')
        continue
      }
      for (const [rawUserId, receipt] of Object.entries(byUser)) {
        const userId = userOfOrigin(rawUserId, origin)
        if (userId === undefined || !members.has(userId) || !isJsonObject(receipt)) continue
        await storeReceipt(deps, roomId, userId, receipt)
      }
    }
  }
}

async function storeReceipt(
  deps: ReceiptEduDeps,
  roomId: RoomId,
  userId: UserId,
  receipt: JsonObject,
): Promise<void> {
  const eventIds = receipt['event_ids']
  const data = receipt['data'] ?? {}
  if (!Array.isArray(eventIds) || !isJsonObject(data)) return
  const threadId = data['thread_id']
  if (threadId !== undefined && (typeof threadId !== 'string' || threadId === '')) return
  const latest = await latestKnown(deps, roomId, eventIds)
  if (latest === undefined) {
    deps.logger?.debug({ room_id: roomId }, 'dropped m.receipt for events not known here')
    return
  }
  const ts = data['ts']
  await deps.storage.receipts.put({
    roomId,
    userId,
    receiptType: PUBLIC_READ,
    threadId,
    eventId: latest.pdu.eventId,
    eventPosition: latest.streamPosition ?? 0,
    ts: typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0 ? ts : deps.now(),
  })
}

/**
 * Of the receipted events, the latest in this server's timeline of the room: a receipt may name
 * several, and is stored here for one, as local receipts are.
 */
async function latestKnown(
  deps: ReceiptEduDeps,
  roomId: RoomId,
  eventIds: readonly JsonValue[],
): Promise<StoredEvent | undefined> {
  const ids = eventIds.filter((id): id is string => typeof id === 'string') as EventId[]
  if (ids.length === 0 || ids.length !== eventIds.length || ids.length > MAX_EVENT_IDS) {
    return undefined
  }
  const found = await deps.storage.events.getEvents(ids)
  let latest: StoredEvent | undefined
  for (const event of found.values()) {
    if (
      event.pdu.roomId !== roomId ||
      event.streamPosition === undefined ||
      event.rejectionReason !== undefined
    ) {
      continue
    }
    if (latest === undefined || event.streamPosition > (latest.streamPosition ?? 0)) latest = event
  }
  return latest
}
