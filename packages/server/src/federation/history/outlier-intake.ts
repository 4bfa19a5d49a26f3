/**
 * Events fetched from another server to fill in what this server lacks (state at a gap, auth
 * chains): each must pass the checks on receipt that need no state (format, signatures, hashes;
 * server-server-api §Checks performed on receipt of a PDU, steps 1 to 4), then is held as an
 * outlier, rejected or not. Oldest first, so an event's auth events are held before it is checked.
 */
import {
  checkReceivedPdu,
  type CryptoProvider,
  type EventId,
  type JsonValue,
  type Pdu,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
} from '@rhizome/core'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { authAgainstOwnAuthEvents } from '../receive/room-event-receiver.js'
import { keyLookup } from '../receive/transaction.js'

export interface OutlierIntakeDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'events' | 'state'>
  readonly pdus: PduLoader
  readonly crypto: CryptoProvider
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
}

/**
 * The PDUs among `jsons` that verify and belong to the room, oldest first; `from` handed them
 * over, and is asked for keys their servers no longer serve.
 */
export async function verifyPdus(
  deps: OutlierIntakeDeps,
  rules: RoomVersionRules,
  roomId: RoomId,
  jsons: readonly JsonValue[],
  from: ServerName,
): Promise<Pdu[]> {
  const keys = keyLookup(deps.keys, [from])
  const out = new Map<EventId, Pdu>()
  for (const json of jsons) {
    const checked = await checkReceivedPdu(json, rules, deps.crypto, keys)
    if (checked.ok && checked.value.pdu.roomId === roomId) {
      out.set(checked.value.pdu.eventId, checked.value.pdu)
    }
  }
  return [...out.values()].sort((a, b) => a.depth - b.depth)
}

/**
 * Holds the events as outliers, each checked against its own auth events; an event whose auth
 * events are not all held is left out. Returns the IDs now held (events held before included).
 */
export async function takeOutliers(
  deps: OutlierIntakeDeps,
  rules: RoomVersionRules,
  roomId: RoomId,
  events: readonly Pdu[],
): Promise<Set<EventId>> {
  const held = new Set(await deps.storage.events.haveEvents(events.map((e) => e.eventId)))
  for (const pdu of [...events].sort((a, b) => a.depth - b.depth)) {
    if (held.has(pdu.eventId)) continue
    const cited = await deps.storage.events.getEvents(pdu.authEvents)
    if (pdu.authEvents.some((id) => !cited.has(id))) continue
    const authEvents = pdu.authEvents.map((id) => cited.get(id)?.pdu).filter(isPdu)
    const outcome = await authAgainstOwnAuthEvents(deps, pdu, authEvents, cited, rules)
    await deps.storage.withRoomWriteLock(roomId, (room) =>
      room.persistOutliers([
        outcome.kind === 'rejected' ? { pdu, rejectionReason: outcome.reason } : { pdu },
      ]),
    )
    held.add(pdu.eventId)
  }
  return held
}

function isPdu(value: Pdu | undefined): value is Pdu {
  return value !== undefined
}
