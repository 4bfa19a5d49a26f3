import {
  buildEvent,
  generateSigningKey,
  parseUntrustedPdu,
  StateMap,
  type EventId,
  roomVersionRules,
  selectAuthEvents,
  type JsonObject,
  type RoomId,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { knownKeys, publicRoom, storedRoomRules } from '../../testing/federation-fixtures.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import {
  MAX_TRANSACTION_PDUS,
  parseTransaction,
  receiveTransaction,
  type TransactionDeps,
} from './transaction.js'

const REMOTE = 'remote.example' as ServerName
const remoteKey = generateSigningKey(crypto, 'r1')
const bob = userId('bob', REMOTE)

async function setUp(storage: Storage): Promise<{ roomId: RoomId; deps: TransactionDeps }> {
  const { roomId } = await publicRoom(storage)
  const deps: TransactionDeps = {
    storage,
    pdus: new PduLoader(storage.events),
    crypto,
    keys: knownKeys({ [REMOTE]: remoteKey }),
    roomRules: storedRoomRules(storage),
  }
  return { roomId, deps }
}

/** Bob's join to the room, on top of its extremities, signed with `key`. */
async function bobsJoin(storage: Storage, roomId: RoomId, key: SigningKey): Promise<JsonObject> {
  const room = await storage.rooms.getRoom(roomId)
  const rules = roomVersionRules(room?.version ?? '')
  if (rules === undefined) throw new Error('no version')
  const extremities = await storage.withRoomWriteLock(roomId, (w) => w.getForwardExtremities())
  const state = await storage.rooms.getCurrentState(roomId)
  const subject = {
    type: 'm.room.member',
    stateKey: bob,
    sender: bob,
    content: { membership: 'join' },
  }
  const built = buildEvent(
    {
      roomVersion: rules,
      roomId,
      ...subject,
      prevEvents: extremities,
      authEvents: selectAuthEvents(subject, state, rules),
      originServerTs: Date.now(),
    },
    REMOTE,
    key,
    crypto,
  )
  return must(built).json
}

/** Bob's message on top of `prev` (built on his join), signed by his server. */
async function bobsMessage(
  storage: Storage,
  roomId: RoomId,
  joinId: string,
  prev: { eventId: string; depth: number },
  body: string,
): Promise<{ json: JsonObject; eventId: string; depth: number }> {
  const room = await storage.rooms.getRoom(roomId)
  const rules = roomVersionRules(room?.version ?? '')
  if (rules === undefined) throw new Error('no version')
  const state = new StateMap(await storage.rooms.getCurrentState(roomId))
  state.set('m.room.member', bob, joinId as EventId)
  const subject = { type: 'm.room.message', sender: bob, content: { msgtype: 'm.text', body } }
  const built = must(
    buildEvent(
      {
        roomVersion: rules,
        roomId,
        ...subject,
        prevEvents: [{ eventId: prev.eventId as EventId, depth: prev.depth }],
        authEvents: selectAuthEvents(subject, state, rules),
        originServerTs: Date.now(),
      },
      REMOTE,
      remoteKey,
      crypto,
    ),
  )
  return { json: built.json, eventId: built.eventId, depth: built.depth }
}

const txn = (pdus: unknown[]): JsonObject =>
  ({ origin: REMOTE, origin_server_ts: Date.now(), pdus, edus: [] }) as JsonObject

describe.each(roomTestStorages())('receiving a transaction ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('takes PDUs that verify, answers each, and drops forged ones and strangers’ rooms', async () => {
    const storage = await open()
    const { roomId, deps } = await setUp(storage)
    const forged = await bobsJoin(storage, roomId, generateSigningKey(crypto, 'r1'))
    const strangers = { ...(await bobsJoin(storage, roomId, remoteKey)), room_id: '!elsewhere:x' }
    const join = await bobsJoin(storage, roomId, remoteKey)
    const parsed = must(parseTransaction(txn([forged, strangers, join])))
    const result = must(await receiveTransaction(deps, REMOTE, parsed))
    expect(Object.values(result.pdus)).toEqual([{}])
    expect(await storage.rooms.joinedMembers(roomId)).toContain(bob)
    // The same transaction again: the same answer, nothing new.
    const again = must(await receiveTransaction(deps, REMOTE, parsed))
    expect(again).toEqual(result)
  })

  it('fills a gap before an event from its sender, then takes the event', async () => {
    const storage = await open()
    const { roomId, deps } = await setUp(storage)
    const join = await bobsJoin(storage, roomId, remoteKey)
    const rules = roomVersionRules((await storage.rooms.getRoom(roomId))?.version ?? '')
    if (rules === undefined) throw new Error('no version')
    const joinPdu = must(parseUntrustedPdu(join, rules, crypto))
    const one = await bobsMessage(storage, roomId, joinPdu.eventId, joinPdu, 'one')
    const two = await bobsMessage(storage, roomId, joinPdu.eventId, one, 'two')
    const asked: { path: string; body: JsonObject | undefined }[] = []
    const withFetch: TransactionDeps = {
      ...deps,
      requester: {
        request: (_destination, _method, path, body) => {
          asked.push({ path, body })
          // Newest first, as a sender may list them: they are taken oldest first.
          return Promise.resolve({
            ok: true,
            value: { status: 200, body: { events: [one.json, join] } },
          })
        },
      },
    }
    const result = must(
      await receiveTransaction(withFetch, REMOTE, must(parseTransaction(txn([two.json])))),
    )
    expect(result.pdus).toEqual({ [two.eventId]: {} })
    expect(asked).toHaveLength(1)
    expect(asked[0]?.path).toBe(
      `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`,
    )
    expect(asked[0]?.body?.['latest_events']).toEqual([two.eventId])
    const page = await storage.events.roomTimeline(roomId, { direction: 'b', limit: 3 })
    expect(page.events.map((e) => e.pdu.eventId)).toEqual([
      two.eventId,
      one.eventId,
      joinPdu.eventId,
    ])
    // Without a way to ask, the event is answered with what is missing.
    const three = await bobsMessage(
      storage,
      roomId,
      joinPdu.eventId,
      { eventId: `$${'A'.repeat(43)}`, depth: 9 },
      'three',
    )
    const alone = must(
      await receiveTransaction(deps, REMOTE, must(parseTransaction(txn([three.json])))),
    )
    expect(alone.pdus[three.eventId]?.error).toMatch(/missing events/)
  })

  it('refuses a transaction from another origin, and one over the limits', async () => {
    const storage = await open()
    const { deps } = await setUp(storage)
    const parsed = must(parseTransaction(txn([])))
    const other = await receiveTransaction(deps, 'other.example' as ServerName, parsed)
    expect(!other.ok && other.error.errcode).toBe('M_FORBIDDEN')
    const big = parseTransaction(txn(Array.from({ length: MAX_TRANSACTION_PDUS + 1 }, () => ({}))))
    expect(!big.ok && big.error.errcode).toBe('M_TOO_LARGE')
    const bad = parseTransaction({ origin: REMOTE, origin_server_ts: 1, pdus: 'no' })
    expect(!bad.ok && bad.error.errcode).toBe('M_BAD_JSON')
  })
})
