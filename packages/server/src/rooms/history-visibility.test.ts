import { roomVersionRules, type RoomId, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../storage/interface.js'
import { must, newPipeline, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { planRoom } from './create-room-plan.js'
import type { EventPipeline } from './event-pipeline.js'
import {
  allowedIn,
  historyVisibilityOf,
  membershipOf,
  RoomHistoryView,
  type HistoryVisibility,
} from './history-visibility.js'

const alice = userId('alice')
const bob = userId('bob')

describe('allowedIn (rules 1-5)', () => {
  it.each<[HistoryVisibility, string | undefined, boolean, boolean]>([
    ['world_readable', undefined, false, true],
    ['joined', 'join', false, true],
    ['shared', 'leave', true, true],
    ['shared', undefined, false, false],
    ['invited', 'invite', false, true],
    ['joined', 'invite', false, false],
    ['shared', 'invite', false, false],
    ['joined', 'leave', true, false],
  ])('%s, membership %s, joined later %s: %s', (visibility, membership, later, expected) => {
    expect(allowedIn({ visibility, membership }, later)).toBe(expected)
  })

  it('reads unknown or missing values as shared and no membership', () => {
    expect(historyVisibilityOf(undefined)).toBe('shared')
    const event = { content: { history_visibility: 'everyone' } } as never
    expect(historyVisibilityOf(event)).toBe('shared')
    expect(membershipOf(undefined)).toBeUndefined()
    expect(membershipOf({ content: { membership: 3 } } as never)).toBeUndefined()
  })
})

for (const kind of roomTestStorages()) {
  describe(`RoomHistoryView on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    async function setUp(visibility: HistoryVisibility): Promise<{
      storage: Storage
      pipeline: EventPipeline
      roomId: RoomId
    }> {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const rules = roomVersionRules('12')
      if (rules === undefined) throw new Error('no v12')
      const plan = planRoom(
        {
          visibility: 'private',
          preset: 'public_chat',
          invite: [],
          initialState: [
            {
              type: 'm.room.history_visibility',
              stateKey: '',
              content: { history_visibility: visibility },
            },
          ],
          isDirect: false,
        },
        alice,
        rules,
      )
      const created = must(
        await pipeline.createRoom({
          rules,
          creator: alice,
          createContent: plan.createContent,
          events: plan.events,
          isPublic: false,
        }),
      )
      return { storage, pipeline, roomId: created.roomId }
    }

    const say = async (pipeline: EventPipeline, roomId: RoomId, body: string): Promise<string> =>
      must(
        await pipeline.send(roomId, { type: 'm.room.message', sender: alice, content: { body } }),
      ).eventId
    const member = async (
      pipeline: EventPipeline,
      roomId: RoomId,
      user: UserId,
      membership: string,
      sender: UserId = user,
    ): Promise<void> => {
      must(
        await pipeline.send(roomId, {
          type: 'm.room.member',
          stateKey: user,
          sender,
          content: { membership },
        }),
      )
    }
    const visibleBodies = async (
      storage: Storage,
      pipeline: EventPipeline,
      roomId: RoomId,
    ): Promise<unknown[]> => {
      const view = new RoomHistoryView({ storage, pdus: pipeline.pdus }, roomId, bob)
      const page = await storage.events.roomTimeline(roomId, { direction: 'f', limit: 1000 })
      return (await view.filter(page.events))
        .filter((e) => e.pdu.type === 'm.room.message')
        .map((e) => e.pdu.content['body'])
    }

    it('shows invited rooms from the invite on, and nothing after a departure', async () => {
      const { storage, pipeline, roomId } = await setUp('invited')
      await say(pipeline, roomId, 'before invite')
      await member(pipeline, roomId, bob, 'invite', alice)
      await say(pipeline, roomId, 'while invited')
      await member(pipeline, roomId, bob, 'join')
      await say(pipeline, roomId, 'while joined')
      await member(pipeline, roomId, bob, 'leave')
      await say(pipeline, roomId, 'after leaving')
      expect(await visibleBodies(storage, pipeline, roomId)).toEqual([
        'while invited',
        'while joined',
      ])
    })

    it('keeps shared history from before a first join for a user who left and was re-invited', async () => {
      const { storage, pipeline, roomId } = await setUp('shared')
      await say(pipeline, roomId, 'long ago')
      await member(pipeline, roomId, bob, 'join')
      await say(pipeline, roomId, 'together')
      await member(pipeline, roomId, bob, 'leave')
      await say(pipeline, roomId, 'after leaving')
      await member(pipeline, roomId, bob, 'invite', alice)
      await say(pipeline, roomId, 'while re-invited')
      expect(await visibleBodies(storage, pipeline, roomId)).toEqual(['long ago', 'together'])
      const view = new RoomHistoryView({ storage, pdus: pipeline.pdus }, roomId, bob)
      expect(await view.latestJoinPosition()).toBeGreaterThan(0)
    })

    it('shows nothing to a user who never joined a shared room', async () => {
      const { storage, pipeline, roomId } = await setUp('shared')
      await say(pipeline, roomId, 'private')
      expect(await visibleBodies(storage, pipeline, roomId)).toEqual([])
      const view = new RoomHistoryView({ storage, pdus: pipeline.pdus }, roomId, bob)
      expect(await view.latestJoinPosition()).toBeUndefined()
    })

    it('shows a visibility change to those whom either side admits', async () => {
      const { storage, pipeline, roomId } = await setUp('world_readable')
      must(
        await pipeline.send(roomId, {
          type: 'm.room.history_visibility',
          stateKey: '',
          sender: alice,
          content: { history_visibility: 'joined' },
        }),
      )
      await say(pipeline, roomId, 'hidden')
      const view = new RoomHistoryView({ storage, pdus: pipeline.pdus }, roomId, bob)
      const page = await storage.events.roomTimeline(roomId, { direction: 'b', limit: 2 })
      const visible = await view.filter(page.events)
      expect(visible.map((e) => e.pdu.type)).toEqual(['m.room.history_visibility'])
    })
  })
}
