import type { RoomId, ServerName, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { MembershipRecord } from '../../storage/interface.js'
import { EduOutbox } from './edu-outbox.js'
import type { OutboundEdu } from '../sender/federation-sender.js'

const HERE = 'here.test' as ServerName
const ROOM_1 = '!one:here.test' as RoomId
const ROOM_2 = '!two:there.test' as RoomId
const ALICE = '@alice:here.test' as UserId

const MEMBERS: Record<string, UserId[]> = {
  [ROOM_1]: [ALICE, '@bob:there.test', '@carol:there.test', '@dan:far.test'] as UserId[],
  [ROOM_2]: [ALICE, '@erin:elsewhere.test'] as UserId[],
}

function outbox(fail = false): {
  outbox: EduOutbox
  queued: [readonly ServerName[], OutboundEdu][]
  warned: unknown[]
} {
  const queued: [readonly ServerName[], OutboundEdu][] = []
  const warned: unknown[] = []
  const made = new EduOutbox({
    serverName: HERE,
    storage: {
      rooms: {
        joinedMembers: (roomId) => Promise.resolve(MEMBERS[roomId] ?? []),
        roomsForUser: (userId) =>
          Promise.resolve(
            Object.entries(MEMBERS)
              .filter(([, members]) => members.includes(userId))
              .map(([roomId]) => ({ roomId, userId }) as MembershipRecord),
          ),
      },
    },
    sender: {
      enqueueEdu: (destinations, edu) => {
        if (fail) return Promise.reject(new Error('queue down'))
        queued.push([destinations, edu])
        return Promise.resolve()
      },
    },
    logger: { warn: (obj: unknown) => warned.push(obj) },
  })
  return { outbox: made, queued, warned }
}

const EDU: OutboundEdu = { edu_type: 'm.typing', content: { x: 1 } }

describe('EduOutbox', () => {
  it('sends to the servers of the room, once each, never to itself', async () => {
    const { outbox: box, queued } = outbox()
    box.toRoom(ROOM_1, EDU)
    await box.settled()
    expect(queued).toEqual([[['far.test', 'there.test'], EDU]])
  })

  it('sends to the servers of every room the user is in', async () => {
    const { outbox: box, queued } = outbox()
    box.toRoomMates(ALICE, EDU)
    await box.settled()
    expect(queued).toEqual([[['elsewhere.test', 'far.test', 'there.test'], EDU]])
  })

  it('queues nothing for a room of its own users only', async () => {
    const { outbox: box, queued } = outbox()
    box.toRoom('!alone:here.test' as RoomId, EDU)
    await box.settled()
    expect(queued).toEqual([])
  })

  it('logs a failure and goes on', async () => {
    const { outbox: box, warned } = outbox(true)
    box.toRoom(ROOM_1, EDU)
    await box.settled()
    expect(warned).toHaveLength(1)
  })

  it('knows its own users', () => {
    const { outbox: box } = outbox()
    expect(box.isLocal(ALICE)).toBe(true)
    expect(box.isLocal('@bob:there.test' as UserId)).toBe(false)
  })
})
