import {
  buildEvent,
  selectAuthEvents,
  StateMap,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { knownKeys, publicRoom, storedRoomRules } from '../../testing/federation-fixtures.js'
import { receiveRemote, remoteEvent, remoteServer } from '../../testing/remote-room-events.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { parseTransaction, receiveTransaction } from './transaction.js'

const REMOTE = remoteServer('remote.example')
const bob = userId('bob', REMOTE.name)
const carol = userId('carol', REMOTE.name)

/** The remote server's next event, built on `prev` with the state it has, not stored here. */
function next(
  rules: RoomVersionRules,
  roomId: RoomId,
  state: StateMap<EventId>,
  prev: Pdu,
  sender: UserId,
  type: string,
  content: JsonObject,
  stateKey?: string,
): Pdu {
  const subject = { type, sender, content, ...(stateKey === undefined ? {} : { stateKey }) }
  const pdu = must(
    buildEvent(
      {
        roomVersion: rules,
        roomId,
        ...subject,
        prevEvents: [{ eventId: prev.eventId, depth: prev.depth }],
        authEvents: selectAuthEvents(subject, state, rules),
        originServerTs: Date.now(),
      },
      REMOTE.name,
      REMOTE.key,
      crypto,
    ),
  )
  if (stateKey !== undefined) state.set(type, stateKey, pdu.eventId)
  return pdu
}

/**
 * Takes `pdu` in a transaction from REMOTE, whose server answers a request with what `answer`
 * gives for its path and query (404 for undefined); resolves to the transaction's result and the
 * paths asked.
 */
async function receiveFromRemote(
  storage: Storage,
  pdu: Pdu,
  answer: (path: string, eventId: string | undefined) => JsonObject | undefined,
): Promise<{ result: { pdus: Record<string, unknown> }; asked: string[] }> {
  const asked: string[] = []
  const requester: Pick<FederationRequester, 'request'> = {
    request: (_server, _method, path, _body, options) => {
      asked.push(path)
      const eventId = options?.query?.['event_id']
      const body = answer(path, typeof eventId === 'string' ? eventId : undefined)
      if (body !== undefined) return Promise.resolve({ ok: true, value: { status: 200, body } })
      return Promise.resolve({
        ok: false,
        error: { kind: 'http', status: 404, body: null, message: 'status 404' },
      })
    },
  }
  const deps = {
    storage,
    pdus: new PduLoader(storage.events),
    crypto,
    keys: knownKeys({ [REMOTE.name]: REMOTE.key }),
    roomRules: storedRoomRules(storage),
    requester,
  }
  const txn = must(
    parseTransaction({
      origin: REMOTE.name,
      origin_server_ts: Date.now(),
      pdus: [pdu.json],
      edus: [],
    }),
  )
  const result = must(await receiveTransaction(deps, REMOTE.name as ServerName, txn))
  return { result, asked }
}

describe.each(roomTestStorages())('an event after a gap ($name)', (kind) => {
  const open = useRoomStorage(kind)

  async function setUp(storage: Storage): Promise<{ roomId: RoomId; rules: RoomVersionRules }> {
    const { roomId } = await publicRoom(storage)
    const join = await remoteEvent(
      storage,
      REMOTE,
      roomId,
      bob,
      'm.room.member',
      {
        membership: 'join',
      },
      { stateKey: bob },
    )
    expect((await receiveRemote(storage, join)).kind).toBe('accepted')
    const rules = await storedRoomRules(storage)(roomId)
    if (rules === undefined) throw new Error('no room')
    return { roomId, rules }
  }

  it('is taken with the sender’s state when missing events do not reach back', async () => {
    const storage = await open()
    const { roomId, rules } = await setUp(storage)
    // While this server was away: Bob talked, Carol joined, then Carol spoke. Only her message
    // comes, and the sender will not walk back that far.
    const state = new StateMap(await storage.rooms.getCurrentState(roomId))
    const [last] = await storage.withRoomWriteLock(roomId, (w) => w.getForwardExtremities())
    const top = await storage.events.getEvent(last?.eventId ?? ('' as EventId))
    if (top === undefined) throw new Error('no extremity')
    const talk = next(rules, roomId, state, top.pdu, bob, 'm.room.message', { body: 'away' })
    const carolJoin = next(
      rules,
      roomId,
      state,
      talk,
      carol,
      'm.room.member',
      {
        membership: 'join',
      },
      carol,
    )
    const before = [...state].map(([, , id]) => id)
    const hello = next(rules, roomId, state, carolJoin, carol, 'm.room.message', { body: 'hi' })
    const { result, asked } = await receiveFromRemote(storage, hello, (path, eventId) => {
      if (path.includes('/state_ids/') && eventId === hello.eventId) {
        return { pdu_ids: before, auth_chain_ids: [] }
      }
      if (path.endsWith(`/event/${encodeURIComponent(carolJoin.eventId)}`)) {
        return { origin: REMOTE.name, origin_server_ts: 1, pdus: [carolJoin.json] }
      }
      return undefined
    })
    expect(result.pdus).toEqual({ [hello.eventId]: {} })
    expect(asked.some((p) => p.includes('/get_missing_events/'))).toBe(true)
    expect(asked.some((p) => p.includes('/state_ids/'))).toBe(true)
    // Carol's join is held (as state), her message is in the timeline, and she is a member now.
    expect(await storage.rooms.joinedMembers(roomId)).toContain(carol)
    const page = await storage.events.roomTimeline(roomId, { direction: 'b', limit: 1 })
    expect(page.events[0]?.pdu.eventId).toBe(hello.eventId)
    expect(await storage.events.getEvent(talk.eventId)).toBeUndefined()
  })

  it('asks for the whole state at once when many of its events are missing', async () => {
    const storage = await open()
    const { roomId, rules } = await setUp(storage)
    // While this server was away, 25 people of the other server joined; then one of them spoke.
    const state = new StateMap(await storage.rooms.getCurrentState(roomId))
    const [last] = await storage.withRoomWriteLock(roomId, (w) => w.getForwardExtremities())
    const top = await storage.events.getEvent(last?.eventId ?? ('' as EventId))
    if (top === undefined) throw new Error('no extremity')
    let prev = top.pdu
    const joins: Pdu[] = []
    for (let i = 0; i < 25; i++) {
      const member = userId(`member${i}`, REMOTE.name)
      prev = next(
        rules,
        roomId,
        state,
        prev,
        member,
        'm.room.member',
        { membership: 'join' },
        member,
      )
      joins.push(prev)
    }
    const stateIds = [...state].map(([, , id]) => id)
    const speaker = userId('member24', REMOTE.name)
    const hello = next(rules, roomId, state, prev, speaker, 'm.room.message', { body: 'hi all' })
    const stateJson = await Promise.all(
      stateIds.map(async (id) => (await storage.events.getEvent(id))?.pdu.json ?? joinJson(id)),
    )
    function joinJson(id: EventId): JsonObject {
      const join = joins.find((j) => j.eventId === id)
      if (join === undefined) throw new Error(`no event ${id}`)
      return join.json
    }
    const { result, asked } = await receiveFromRemote(storage, hello, (path, eventId) => {
      if (path.includes('/state_ids/') && eventId === hello.eventId) {
        return { pdu_ids: stateIds, auth_chain_ids: [] }
      }
      if (path.includes('/state/') && eventId === hello.eventId) {
        return { pdus: stateJson, auth_chain: [] }
      }
      return undefined
    })
    expect(result.pdus).toEqual({ [hello.eventId]: {} })
    expect(asked.filter((p) => p.includes('/state/'))).toHaveLength(1)
    expect(asked.some((p) => p.includes('/event/'))).toBe(false)
    const members = await storage.rooms.joinedMembers(roomId)
    expect(joins.every((j) => members.includes(j.stateKey as UserId))).toBe(true)
  })
})
