/**
 * FOR TESTS ONLY. Events of another server's users in a room this server holds: built on top of
 * the room's forward extremities (or given prev events), signed with that server's key, and taken
 * in through the same receiver as a transaction's PDUs.
 */
import {
  buildEvent,
  generateSigningKey,
  roomVersionRules,
  selectAuthEvents,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { receiveRoomEvent, type ReceiveOutcome } from '../federation/receive/room-event-receiver.js'
import { PduLoader } from '../rooms/pdu-loader.js'
import type { Storage } from '../storage/interface.js'
import { crypto, must } from './room-kit.js'

export interface RemoteServer {
  readonly name: string
  readonly key: SigningKey
}

export function remoteServer(name: string): RemoteServer {
  return { name, key: generateSigningKey(crypto, 'r1') }
}

/** An event of `server`'s user on top of `prev` (the room's extremities by default). */
export async function remoteEvent(
  storage: Storage,
  server: RemoteServer,
  roomId: RoomId,
  sender: UserId,
  type: string,
  content: JsonObject,
  options: { readonly stateKey?: string; readonly prev?: readonly EventId[] } = {},
): Promise<Pdu> {
  const room = await storage.rooms.getRoom(roomId)
  const rules = room === undefined ? undefined : roomVersionRules(room.version)
  if (rules === undefined) throw new Error(`no room ${roomId}`)
  const prev =
    options.prev ??
    (await storage.withRoomWriteLock(roomId, (r) => r.getForwardExtremities())).map(
      (e) => e.eventId,
    )
  const prevEvents = await storage.events.getEvents(prev)
  const first = prevEvents.get(prev[0] as EventId)
  const state = await storage.state.loadState(first?.stateGroupAfter ?? 0)
  const subject = {
    type,
    sender,
    content,
    ...(options.stateKey === undefined ? {} : { stateKey: options.stateKey }),
  }
  return must(
    buildEvent(
      {
        roomVersion: rules,
        roomId,
        ...subject,
        prevEvents: prev.map((id) => ({ eventId: id, depth: prevEvents.get(id)?.pdu.depth ?? 1 })),
        authEvents: selectAuthEvents(subject, state, rules),
        originServerTs: Date.now(),
      },
      server.name,
      server.key,
      crypto,
    ),
  )
}

/** Takes the event in as the transaction receiver would. */
export async function receiveRemote(storage: Storage, pdu: Pdu): Promise<ReceiveOutcome> {
  const room = await storage.rooms.getRoom(pdu.roomId)
  const rules = room === undefined ? undefined : roomVersionRules(room.version)
  if (rules === undefined) throw new Error(`no room ${pdu.roomId}`)
  return must(
    await receiveRoomEvent({ storage, pdus: new PduLoader(storage.events), crypto }, pdu, rules),
  )
}
