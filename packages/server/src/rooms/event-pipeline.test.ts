import {
  checkContentHash,
  parseUntrustedPdu,
  publicKeyBase64,
  roomVersionRules,
  verifyEventSignature,
  type EventId,
  type JsonObject,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StoredEvent } from '../storage/interface.js'
import { crypto, must, newPipeline, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { choosePrevEvents, type EventPipeline } from './event-pipeline.js'
import { planRoom, type CreateRoomRequest } from './create-room-plan.js'

const alice = userId('alice')
const bob = userId('bob')

function rulesOf(version: string): RoomVersionRules {
  const rules = roomVersionRules(version)
  if (rules === undefined) throw new Error(`no room version ${version}`)
  return rules
}

const BASIC: CreateRoomRequest = {
  visibility: 'private',
  invite: [],
  initialState: [],
  isDirect: false,
}

async function createRoom(
  pipeline: EventPipeline,
  version = '12',
  request: Partial<CreateRoomRequest> = {},
): Promise<RoomId> {
  const rules = rulesOf(version)
  const plan = planRoom({ ...BASIC, ...request }, alice, rules)
  const created = must(
    await pipeline.createRoom({
      rules,
      creator: alice,
      createContent: plan.createContent,
      events: plan.events,
      isPublic: false,
    }),
  )
  return created.roomId
}

function message(
  body: string,
  sender: UserId = alice,
): {
  type: string
  sender: UserId
  content: JsonObject
} {
  return { type: 'm.room.message', sender, content: { msgtype: 'm.text', body } }
}

async function timeline(storage: Storage, roomId: RoomId): Promise<StoredEvent[]> {
  const page = await storage.events.roomTimeline(roomId, { direction: 'f', limit: 10_000 })
  return [...page.events]
}

/** Every stored event parses as a PDU of its version, carries a valid hash and our signature. */
function expectVerifiable(events: readonly StoredEvent[], rules: RoomVersionRules): void {
  for (const event of events) {
    const parsed = must(parseUntrustedPdu(JSON.parse(event.json), rules, crypto))
    expect(parsed.eventId).toBe(event.pdu.eventId)
    expect(checkContentHash(parsed.json, crypto)).toBe(true)
    must(
      verifyEventSignature(
        parsed.json,
        rules,
        'example.org',
        SIGNING_KEY.keyId,
        SIGNING_KEY.publicKey,
        crypto,
      ),
    )
  }
  expect(publicKeyBase64(SIGNING_KEY)).not.toBe('')
}

describe('choosePrevEvents', () => {
  it('keeps the 20 deepest extremities, deepest first', () => {
    const extremities = Array.from({ length: 25 }, (_, i) => ({
      eventId: `$e${String(i).padStart(2, '0')}` as EventId,
      depth: i % 7,
    }))
    const chosen = choosePrevEvents(extremities)
    expect(chosen).toHaveLength(20)
    for (let i = 1; i < chosen.length; i++) {
      expect(chosen[i - 1]!.depth).toBeGreaterThanOrEqual(chosen[i]!.depth)
    }
    const left = extremities.filter((e) => !chosen.includes(e))
    expect(Math.max(...left.map((e) => e.depth))).toBeLessThanOrEqual(chosen[19]!.depth)
  })
})

for (const kind of roomTestStorages()) {
  describe(`EventPipeline on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('serializes concurrent sends to one room into a linear chain', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const before = await timeline(storage, roomId)

      const sent = await Promise.all(
        Array.from({ length: 40 }, (_, i) => pipeline.send(roomId, message(`m${i}`))),
      )
      for (const result of sent) expect(result.ok).toBe(true)

      const events = await timeline(storage, roomId)
      expect(events).toHaveLength(before.length + 40)
      const depths = new Set(events.map((e) => e.pdu.depth))
      expect(depths.size).toBe(events.length)
      for (let i = 1; i < events.length; i++) {
        expect(events[i]!.pdu.prevEvents).toEqual([events[i - 1]!.pdu.eventId])
        expect(events[i]!.pdu.depth).toBe(events[i - 1]!.pdu.depth + 1)
      }
      const extremities = await storage.withRoomWriteLock(roomId, (room) =>
        room.getForwardExtremities(),
      )
      expect(extremities.map((e) => e.eventId)).toEqual([events.at(-1)!.pdu.eventId])
      expectVerifiable(events, rulesOf('12'))
    })

    it('keeps the room open while another server countersigns an event', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      let release: () => void = () => undefined
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const signed: EventId[] = []
      const invite = pipeline.send(
        roomId,
        { type: 'm.room.member', sender: alice, stateKey: bob, content: { membership: 'invite' } },
        {
          countersign: async (pdu) => {
            signed.push(pdu.eventId)
            await held
            return { ok: true, value: pdu }
          },
        },
      )
      while (signed.length === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      // A message sent while the other server is slow gets through...
      const during = must(await pipeline.send(roomId, message('while waiting')))
      expect(during.kind).toBe('new')
      release()
      // ...and the invite, built on a room that has moved since, is built again and signed again.
      const invited = must(await invite)
      expect(invited.kind).toBe('new')
      expect(signed).toHaveLength(2)
      expect(signed[1]).toBe(invited.eventId)
      const events = await timeline(storage, roomId)
      expect(events.at(-2)?.pdu.eventId).toBe(during.eventId)
      expect(events.at(-1)?.pdu.eventId).toBe(invited.eventId)
      expect(events.at(-1)?.pdu.prevEvents).toEqual([during.eventId])
      expect(events.some((e) => e.pdu.eventId === signed[0])).toBe(false)
    })

    it('stores nothing when the other server refuses to countersign', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const before = await timeline(storage, roomId)
      const refused = await pipeline.send(
        roomId,
        { type: 'm.room.member', sender: alice, stateKey: bob, content: { membership: 'invite' } },
        {
          countersign: () =>
            Promise.resolve({
              ok: false,
              error: { status: 403, errcode: 'M_FORBIDDEN', error: 'no' },
            }),
        },
      )
      expect(refused.ok).toBe(false)
      expect(await timeline(storage, roomId)).toHaveLength(before.length)
    })

    it('lets two rooms proceed in parallel, each in its own order', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const [one, two] = await Promise.all([createRoom(pipeline), createRoom(pipeline, '11')])
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pipeline.send(i % 2 === 0 ? one : two, message(`m${i}`)),
        ),
      )
      for (const roomId of [one, two]) {
        const events = await timeline(storage, roomId)
        for (let i = 1; i < events.length; i++) {
          expect(events[i]!.pdu.prevEvents).toEqual([events[i - 1]!.pdu.eventId])
        }
        expect(events.filter((e) => e.pdu.type === 'm.room.message')).toHaveLength(10)
      }
    })

    it('answers a retried transaction with the event it sent', async () => {
      const storage = await open()
      let clock = 1_700_000_000_000
      const pipeline = newPipeline(storage, () => clock++)
      const roomId = await createRoom(pipeline)
      const txn = { userId: alice, deviceId: 'PHONE', txnId: 't1' }
      const first = must(await pipeline.send(roomId, message('hello'), { txn }))
      const again = must(await pipeline.send(roomId, message('hello'), { txn }))
      expect(first.kind).toBe('new')
      expect(again).toEqual({ ...first, kind: 'retry' })

      // Another device's transaction with the same ID is another request.
      const other = must(
        await pipeline.send(roomId, message('hello'), { txn: { ...txn, deviceId: 'LAPTOP' } }),
      )
      expect(other.eventId).not.toBe(first.eventId)
    })

    it('stores one event for concurrent retries of a transaction', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const txn = { userId: alice, deviceId: 'PHONE', txnId: 'burst' }
      const results = await Promise.all(
        Array.from({ length: 10 }, () => pipeline.send(roomId, message('once'), { txn })),
      )
      const ids = new Set(results.map((r) => must(r).eventId))
      expect(ids.size).toBe(1)
      const bodies = (await timeline(storage, roomId)).filter(
        (e) => e.pdu.content['body'] === 'once',
      )
      expect(bodies).toHaveLength(1)
    })

    it('persists nothing when the auth rules reject an event', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const position = await storage.streams.currentPosition()

      const outsider = await pipeline.send(roomId, message('let me in', bob))
      expect(outsider).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } })
      const txn = { userId: bob, deviceId: 'D', txnId: 'x' }
      const state = await pipeline.send(
        roomId,
        { type: 'm.room.name', stateKey: '', sender: bob, content: { name: 'mine' } },
        { txn },
      )
      expect(state.ok).toBe(false)

      expect(await storage.streams.currentPosition()).toBe(position)
      expect(await storage.events.getEventByTxn(bob, 'D', 'x')).toBeUndefined()
    })

    it('refuses an event over 65536 bytes with M_TOO_LARGE', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const big = await pipeline.send(roomId, message('x'.repeat(70_000)))
      expect(big).toMatchObject({ ok: false, error: { errcode: 'M_TOO_LARGE' } })
    })

    it('answers M_NOT_FOUND for a room it does not hold', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const result = await pipeline.send('!nowhere:example.org' as RoomId, message('hi'))
      expect(result).toMatchObject({ ok: false, error: { errcode: 'M_NOT_FOUND' } })
    })

    it('runs the precheck under the lock and writes nothing when it says unchanged', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const roomId = await createRoom(pipeline)
      const position = await storage.streams.currentPosition()
      const result = must(
        await pipeline.send(roomId, message('skip'), {
          precheck: async (room) => {
            const member = await room.stateEvent('m.room.member', alice)
            expect(member?.content['membership']).toBe('join')
            return { ok: true, value: { kind: 'unchanged', eventId: member!.eventId } }
          },
        }),
      )
      expect(result.kind).toBe('unchanged')
      expect(await storage.streams.currentPosition()).toBe(position)
      const refused = await pipeline.send(roomId, message('no'), {
        precheck: () =>
          Promise.resolve({ ok: false, error: { errcode: 'M_FORBIDDEN', error: 'no' } }),
      })
      expect(refused.ok).toBe(false)
    })

    for (const version of ['1', '3', '10', '11', '12']) {
      it(`creates a room and sends events that verify (room version ${version})`, async () => {
        const storage = await open()
        const pipeline = newPipeline(storage)
        const roomId = await createRoom(pipeline, version, { name: 'Test', topic: 'T' })
        must(await pipeline.send(roomId, message('hello')))
        const events = await timeline(storage, roomId)
        expect(events.map((e) => e.pdu.type)).toEqual([
          'm.room.create',
          'm.room.member',
          'm.room.power_levels',
          'm.room.join_rules',
          'm.room.history_visibility',
          'm.room.guest_access',
          'm.room.name',
          'm.room.topic',
          'm.room.message',
        ])
        expectVerifiable(events, rulesOf(version))
        const room = await storage.rooms.getRoom(roomId)
        expect(room?.version).toBe(version)
      })
    }

    it('refuses a plan the auth rules reject with M_INVALID_ROOM_STATE, storing nothing', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const rules = rulesOf('11')
      const plan = planRoom(
        { ...BASIC, name: 'locked', powerLevelContentOverride: { users: { [alice]: 0 } } },
        alice,
        rules,
      )
      const result = await pipeline.createRoom({
        rules,
        creator: alice,
        createContent: plan.createContent,
        events: plan.events,
        isPublic: false,
      })
      expect(result).toMatchObject({ ok: false, error: { errcode: 'M_INVALID_ROOM_STATE' } })
      expect(await storage.streams.currentPosition()).toBe(0)
    })

    it('moves a redaction into place for the room version', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      for (const version of ['10', '11']) {
        const roomId = await createRoom(pipeline, version)
        const target = must(await pipeline.send(roomId, message('oops')))
        const redaction = must(
          await pipeline.send(roomId, {
            type: 'm.room.redaction',
            sender: alice,
            content: { redacts: target.eventId, reason: 'typo' },
            redacts: target.eventId,
          }),
        )
        const stored = await storage.events.getEvent(redaction.eventId)
        const json = JSON.parse(stored!.json) as JsonObject
        if (version === '10') {
          expect(json['redacts']).toBe(target.eventId)
          expect(json['content']).toEqual({ reason: 'typo' })
        } else {
          expect(json['redacts']).toBeUndefined()
          expect(json['content']).toEqual({ redacts: target.eventId, reason: 'typo' })
        }
        expect((await storage.events.getEvent(target.eventId))?.redactedBy).toBe(redaction.eventId)
      }
    })
  })
}
