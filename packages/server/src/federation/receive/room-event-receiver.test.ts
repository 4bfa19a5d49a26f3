import {
  buildEvent,
  generateSigningKey,
  selectAuthEvents,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
  type RoomVersionRules,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../../http/authenticate.js'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { RoomService } from '../../rooms/room-service.js'
import type { Storage } from '../../storage/interface.js'
import { publicRoom, storedRoomRules } from '../../testing/federation-fixtures.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { receiveRoomEvent, SOFT_FAILED, type ReceiveOutcome } from './room-event-receiver.js'

const REMOTE = 'remote.example'
const remoteKey = generateSigningKey(crypto, 'r1')
const bob = userId('bob', REMOTE)
const carol = userId('carol', REMOTE)

interface World {
  readonly storage: Storage
  readonly rooms: RoomService
  readonly roomId: RoomId
  readonly rules: RoomVersionRules
  readonly alice: Requester
  readonly pdus: PduLoader
}

async function world(storage: Storage): Promise<World> {
  const { rooms, roomId, alice } = await publicRoom(storage)
  const rules = await storedRoomRules(storage)(roomId)
  if (rules === undefined) throw new Error('no room version')
  return { storage, rooms, roomId, rules, alice, pdus: new PduLoader(storage.events) }
}

/** An event from remote.example on top of `prev` (the room's extremities by default). */
async function remote(
  w: World,
  sender: string,
  type: string,
  content: JsonObject,
  options: { stateKey?: string; prev?: readonly EventId[] } = {},
): Promise<Pdu> {
  const prev =
    options.prev ??
    (await w.storage.withRoomWriteLock(w.roomId, (r) => r.getForwardExtremities())).map(
      (e) => e.eventId,
    )
  const prevEvents = await w.storage.events.getEvents(prev)
  const first = prevEvents.get(prev[0] as EventId)
  const state = await w.storage.state.loadState(first?.stateGroupAfter ?? 0)
  const subject = {
    type,
    sender,
    content,
    ...(options.stateKey === undefined ? {} : { stateKey: options.stateKey }),
  }
  const built = buildEvent(
    {
      roomVersion: w.rules,
      roomId: w.roomId,
      ...subject,
      sender: sender as never,
      prevEvents: prev.map((id) => ({ eventId: id, depth: prevEvents.get(id)?.pdu.depth ?? 1 })),
      authEvents: selectAuthEvents(subject, state, w.rules),
      originServerTs: Date.now(),
    },
    REMOTE,
    remoteKey,
    crypto,
  )
  return must(built)
}

function receive(w: World, pdu: Pdu): Promise<ReceiveOutcome> {
  return receiveRoomEvent({ storage: w.storage, pdus: w.pdus, crypto }, pdu, w.rules).then(must)
}

async function extremities(w: World): Promise<EventId[]> {
  const found = await w.storage.withRoomWriteLock(w.roomId, (r) => r.getForwardExtremities())
  return found.map((e) => e.eventId).sort()
}

describe.each(roomTestStorages())('receiving room events from another server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('takes a remote join and messages on top, into state and timeline', async () => {
    const w = await world(await open())
    const join = await remote(w, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob })
    expect(await receive(w, join)).toEqual({ kind: 'accepted', eventId: join.eventId })
    expect(await receive(w, join)).toEqual({ kind: 'duplicate', eventId: join.eventId })
    expect(await w.storage.rooms.joinedMembers(w.roomId)).toContain(bob)
    const hello = await remote(w, bob, 'm.room.message', { msgtype: 'm.text', body: 'hello' })
    expect((await receive(w, hello)).kind).toBe('accepted')
    expect(await extremities(w)).toEqual([hello.eventId])
    const page = await w.storage.events.roomTimeline(w.roomId, { direction: 'b', limit: 1 })
    expect(page.events[0]?.pdu.eventId).toBe(hello.eventId)
  })

  it('keeps both branches of a fork as extremities and resolves the state across them', async () => {
    const w = await world(await open())
    const join = await remote(w, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob })
    await receive(w, join)
    // Alice writes locally on top of Bob's join; Carol's join arrives on top of it too.
    must(await w.rooms.sendMessage(w.alice, w.roomId, 'm.room.message', 't1', { body: 'local' }))
    const carolJoin = await remote(
      w,
      carol,
      'm.room.member',
      { membership: 'join' },
      { stateKey: carol, prev: [join.eventId] },
    )
    expect((await receive(w, carolJoin)).kind).toBe('accepted')
    expect(await extremities(w)).toHaveLength(2)
    expect(await extremities(w)).toContain(carolJoin.eventId)
    // The current state has Carol, though the local branch never saw her join.
    expect(await w.storage.rooms.joinedMembers(w.roomId)).toEqual(
      expect.arrayContaining([w.alice.userId, bob, carol]),
    )
    // The next local event joins the branches.
    must(await w.rooms.sendMessage(w.alice, w.roomId, 'm.room.message', 't2', { body: 'both' }))
    expect(await extremities(w)).toHaveLength(1)
  })

  it('rejects what the auth rules refuse, changing no state', async () => {
    const w = await world(await open())
    await receive(
      w,
      await remote(w, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob }),
    )
    const before = await w.storage.rooms.getCurrentState(w.roomId)
    // Bob (power 0) may not change the power levels.
    const grab = await remote(
      w,
      bob,
      'm.room.power_levels',
      { users: { [bob]: 100 } },
      { stateKey: '' },
    )
    const outcome = await receive(w, grab)
    expect(outcome.kind).toBe('rejected')
    expect(await w.storage.rooms.getCurrentState(w.roomId)).toEqual(before)
    expect((await w.storage.events.getEvent(grab.eventId))?.rejectionReason).toBeDefined()
    // A user of another server who never joined cannot speak.
    const stranger = await remote(w, carol, 'm.room.message', { body: 'hi' })
    expect((await receive(w, stranger)).kind).toBe('rejected')
  })

  it('soft-fails an event allowed before it but not by the current state', async () => {
    const w = await world(await open())
    const join = await remote(w, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob })
    await receive(w, join)
    must(await w.rooms.ban(w.alice, w.roomId, bob, {}))
    // Bob's server had not seen the ban: its message sits on his join.
    const late = await remote(
      w,
      bob,
      'm.room.message',
      { body: 'still here' },
      { prev: [join.eventId] },
    )
    const outcome = await receive(w, late)
    expect(outcome.kind).toBe('soft-failed')
    const stored = await w.storage.events.getEvent(late.eventId)
    expect(stored?.rejectionReason?.startsWith(SOFT_FAILED)).toBe(true)
    const page = await w.storage.events.roomTimeline(w.roomId, { direction: 'b', limit: 5 })
    expect(page.events.map((e) => e.pdu.eventId)).not.toContain(late.eventId)
    expect((await w.storage.rooms.getMembership(w.roomId, bob))?.membership).toBe('ban')
  })

  it('asks for what it does not have instead of guessing', async () => {
    const w = await world(await open())
    const unknown = `$${'B'.repeat(43)}` as EventId
    const join = await remote(w, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob })
    const orphan = { ...join, prevEvents: [unknown] }
    expect(await receive(w, orphan)).toEqual({ kind: 'missing', auth: [], prev: [unknown] })
    expect(await w.storage.events.getEvent(join.eventId)).toBeUndefined()
  })
})
