import { StateMap, type EventId, type ReadonlyStateMap, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { MAX_DELTA_CHAIN } from '../engine/persist-event.js'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

function entries(state: ReadonlyStateMap<EventId>): [string, string, EventId][] {
  return [...state]
    .map(([type, stateKey, eventId]): [string, string, EventId] => [type, stateKey, eventId])
    .sort((a, b) => (a[0] + '\0' + a[1] < b[0] + '\0' + b[1] ? -1 : 1))
}

async function expectCurrentStateMatchesGroup(storage: Storage, room: TestRoom): Promise<void> {
  const record = await storage.rooms.getRoom(room.roomId)
  expect(record?.currentStateGroup).toBeDefined()
  const group = await storage.state.loadState(record?.currentStateGroup ?? -1)
  expect(entries(await storage.rooms.getCurrentState(room.roomId))).toEqual(entries(group))
}

export function stateContract(harness: StorageHarness): void {
  describe('state groups and current state', () => {
    const { open, reopen } = useStorages(harness)

    it('the state after each event is the state before plus its own key', async () => {
      const storage = await open()
      const room = new TestRoom()
      const create = room.create()
      const join = room.member(room.creator, 'join')
      const name = room.state('m.room.name', '', { name: 'Room' })
      const message = room.message('hi')
      const outcomes = []
      for (const event of [create, join, name, message]) outcomes.push(await append(storage, event))
      const [c, j, n, m] = outcomes.map((o) => o.stateGroupAfter)
      expect(entries(await storage.state.loadState(c ?? -1))).toEqual([
        ['m.room.create', '', create.eventId],
      ])
      expect(entries(await storage.state.loadState(n ?? -1))).toEqual([
        ['m.room.create', '', create.eventId],
        ['m.room.member', room.creator, join.eventId],
        ['m.room.name', '', name.eventId],
      ])
      expect(j).not.toBe(n)
      // A message changes no state: same group before and after, no new group.
      expect(outcomes[3]?.stateGroupBefore).toBe(n)
      expect(m).toBe(n)
      // The state before the create event is the empty state.
      expect((await storage.state.loadState(outcomes[0]?.stateGroupBefore ?? -1)).size).toBe(0)
    })

    it('stores deltas on a chain, and a full snapshot once the chain is long', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const expected = new StateMap<EventId>()
      for (const [type, stateKey, eventId] of await storage.rooms.getCurrentState(room.roomId)) {
        expected.set(type, stateKey, eventId)
      }
      const groups: number[] = []
      for (let i = 0; i < MAX_DELTA_CHAIN + 5; i++) {
        // Rewrite a few keys over and over, so deltas shadow older deltas.
        const event = room.state('org.example.counter', String(i % 7), { i })
        const outcome = await append(storage, event)
        expected.set('org.example.counter', String(i % 7), event.eventId)
        groups.push(outcome.stateGroupAfter)
      }
      let snapshots = 0
      for (const group of groups) {
        const info = await storage.state.groupInfo(group)
        expect(info?.roomId).toBe(room.roomId)
        expect(info?.deltaCount).toBeLessThanOrEqual(MAX_DELTA_CHAIN)
        if (info?.prevGroup === undefined) snapshots++
        else
          expect((await storage.state.groupInfo(info.prevGroup))?.deltaCount).toBe(
            info.deltaCount - 1,
          )
      }
      expect(snapshots).toBe(1)
      const last = groups[groups.length - 1] ?? -1
      expect(entries(await storage.state.loadState(last))).toEqual(entries(expected))
      expect(await storage.state.groupInfo(999_999)).toBeUndefined()

      // The same answer from a cold cache (a new process).
      if (harness.reopen !== undefined) {
        const again = await reopen(storage)
        expect(entries(await again.state.loadState(last))).toEqual(entries(expected))
      }
    })

    it('a delta can remove keys, and loading an unknown group fails', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [, join] = await createRoom(storage, room)
      const topic = room.state('m.room.topic', '', { topic: 't' })
      const withTopic = await append(storage, topic)
      const message = room.message('after the topic went away')
      const outcome = await append(storage, message, {
        stateBefore: {
          base: withTopic.stateGroupAfter,
          delta: { set: [], remove: [['m.room.topic', '']] },
        },
      })
      const state = await storage.state.loadState(outcome.stateGroupBefore)
      expect(state.has('m.room.topic', '')).toBe(false)
      expect(state.get('m.room.member', room.creator)).toBe(join?.eventId)
      // The base group is untouched.
      expect(
        (await storage.state.loadState(withTopic.stateGroupAfter)).get('m.room.topic', ''),
      ).toBe(topic.eventId)
      // Current state followed: the topic is gone.
      expect((await storage.rooms.getCurrentState(room.roomId)).has('m.room.topic', '')).toBe(false)
      await expectCurrentStateMatchesGroup(storage, room)
      await expect(storage.state.loadState(987_654)).rejects.toThrow(/does not exist/)
    })

    it('current state and memberships follow the persisted events', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = '@bob:test' as UserId
      const invite = room.event({
        type: 'm.room.member',
        stateKey: bob,
        content: { membership: 'invite' },
      })
      const invited = await append(storage, invite)
      expect(await storage.rooms.getMembership(room.roomId, bob)).toEqual({
        roomId: room.roomId,
        userId: bob,
        membership: 'invite',
        eventId: invite.eventId,
        streamPosition: invited.streamPosition,
      })
      expect(await storage.rooms.roomsForUser(bob, ['invite'])).toHaveLength(1)
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual([room.creator])

      const joined = await append(storage, room.member(bob, 'join'))
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual([room.creator, bob].sort())
      expect((await storage.rooms.roomsForUser(bob, ['join']))[0]?.roomId).toBe(room.roomId)
      expect(await storage.rooms.roomsForUser(bob, ['invite'])).toEqual([])

      const changes = await storage.rooms.membershipChangesSince(bob, invited.streamPosition)
      expect(changes.map((c) => [c.membership, c.streamPosition])).toEqual([
        ['join', joined.streamPosition],
      ])
      expect(await storage.rooms.membershipChangesSince(bob, joined.streamPosition)).toEqual([])

      await append(storage, room.member(bob, 'leave'))
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual([room.creator])
      expect((await storage.rooms.getMembership(room.roomId, bob))?.membership).toBe('leave')

      const events = await storage.rooms.getCurrentStateEvents(room.roomId, ['m.room.member'])
      expect(events.map((e) => e.pdu.stateKey).sort()).toEqual([room.creator, bob].sort())
      expect((await storage.rooms.getCurrentStateEvents(room.roomId)).length).toBe(3)
      const create = await storage.rooms.getCurrentStateEvent(room.roomId, 'm.room.create', '')
      expect(create?.pdu.type).toBe('m.room.create')
      expect(
        await storage.rooms.getCurrentStateEvent(room.roomId, 'm.room.name', ''),
      ).toBeUndefined()
      await expectCurrentStateMatchesGroup(storage, room)
    })

    it("'keep' stores the event and its state without touching the current state", async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const before = entries(await storage.rooms.getCurrentState(room.roomId))
      const side = room.state('m.room.name', '', { name: 'side branch' })
      const outcome = await append(storage, side, { currentState: 'keep' })
      expect(entries(await storage.rooms.getCurrentState(room.roomId))).toEqual(before)
      expect((await storage.state.loadState(outcome.stateGroupAfter)).get('m.room.name', '')).toBe(
        side.eventId,
      )
      const record = await storage.rooms.getRoom(room.roomId)
      expect(record?.currentStateGroup).not.toBe(outcome.stateGroupAfter)
    })

    it('moving the current state to an unrelated group applies the full difference', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [create, join] = await createRoom(storage, room)
      const bob = '@bob:test' as UserId
      const carol = '@carol:test' as UserId
      const bobJoin = room.member(bob, 'join')
      await append(storage, bobJoin)
      const topic = room.state('m.room.topic', '', { topic: 'on the main branch' })
      await append(storage, topic)
      // A side branch: carol joins; it is stored without becoming current.
      const carolJoin = room.member(carol, 'join')
      const side = await append(storage, carolJoin, {
        currentState: 'keep',
        stateBefore: {
          base: undefined,
          delta: {
            set: [
              ['m.room.create', '', create?.eventId as EventId],
              ['m.room.member', room.creator, join?.eventId as EventId],
            ],
            remove: [],
          },
        },
      })
      // State resolution (done by the caller) settles on: the side branch plus bob's join, no topic.
      const merge = room.message('merge')
      await append(storage, merge, {
        stateBefore: {
          base: side.stateGroupAfter,
          delta: { set: [['m.room.member', bob, bobJoin.eventId]], remove: [] },
        },
      })
      const current = await storage.rooms.getCurrentState(room.roomId)
      expect(entries(current)).toEqual(
        entries(
          new StateMap<EventId>([
            ['m.room.create', '', create?.eventId as EventId],
            ['m.room.member', room.creator, join?.eventId as EventId],
            ['m.room.member', bob, bobJoin.eventId],
            ['m.room.member', carol, carolJoin.eventId],
          ]),
        ),
      )
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual(
        [room.creator, bob, carol].sort(),
      )
      await expectCurrentStateMatchesGroup(storage, room)
      // carol's membership became current with the merge, not with her side-branch event.
      const carolMembership = await storage.rooms.getMembership(room.roomId, carol)
      expect(carolMembership?.eventId).toBe(carolJoin.eventId)
      expect(carolMembership?.streamPosition).toBe(
        (await storage.events.getEvent(merge.eventId))?.streamPosition,
      )
    })

    it('a resolution that drops a member removes the membership', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [create, join] = await createRoom(storage, room)
      const bob = '@bob:test' as UserId
      await append(storage, room.member(bob, 'join'))
      await append(storage, room.message('resolved'), {
        stateBefore: {
          base: undefined,
          delta: {
            set: [
              ['m.room.create', '', create?.eventId as EventId],
              ['m.room.member', room.creator, join?.eventId as EventId],
            ],
            remove: [],
          },
        },
      })
      expect(await storage.rooms.getMembership(room.roomId, bob)).toBeUndefined()
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual([room.creator])
      await expectCurrentStateMatchesGroup(storage, room)
    })

    it('a state key both set and removed in one delta is set', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [, join] = await createRoom(storage, room)
      const outcome = await append(storage, room.message('x'), {
        stateBefore: {
          base: join?.stateGroupAfter,
          delta: {
            set: [['m.room.topic', '', '$t' as EventId]],
            remove: [['m.room.topic', '']],
          },
        },
        currentState: 'keep',
      })
      expect(
        (await storage.state.loadState(outcome.stateGroupBefore)).get('m.room.topic', ''),
      ).toBe('$t')
    })

    it('directory visibility', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      expect((await storage.rooms.getRoom(room.roomId))?.isPublic).toBe(false)
      expect(await storage.rooms.publicRooms()).toEqual([])
      expect(await storage.rooms.setDirectoryVisibility(room.roomId, true)).toBe(true)
      expect(await storage.rooms.publicRooms()).toEqual([room.roomId])
      const record = await storage.rooms.getRoom(room.roomId)
      expect(record).toMatchObject({ version: '12', creator: room.creator, isPublic: true })
      expect(await storage.rooms.setDirectoryVisibility(new TestRoom().roomId, true)).toBe(false)
      expect(await storage.rooms.getRoom(new TestRoom().roomId)).toBeUndefined()
    })
  })
}
