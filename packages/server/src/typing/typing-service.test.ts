import type { UserId } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { append, createRoom, TestRoom, waitFor } from '../storage/contract/test-room.js'
import type { Storage, StreamNotification } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { MAX_TYPING_TIMEOUT_MS, TypingService } from './typing-service.js'

const opened: Storage[] = []
const services: TypingService[] = []
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()))
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

async function setup(): Promise<{
  storage: Storage
  room: TestRoom
  bob: UserId
  active: UserId[]
  typing: TypingService
}> {
  const storage = await openStorage('sqlite::memory:')
  opened.push(storage)
  const room = new TestRoom()
  await createRoom(storage, room)
  const bob = room.creator.replace('@alice', '@bob') as UserId
  await append(storage, room.member(bob, 'join'))
  const active: UserId[] = []
  // A sweep interval far away: only the notice's own timer can end it in time.
  const typing = new TypingService({
    storage,
    now: Date.now,
    onActivity: (userId) => active.push(userId),
    sweepIntervalMs: 600_000,
  })
  services.push(typing)
  return { storage, room, bob, active, typing }
}

const as = (userId: UserId): Requester => ({ userId, deviceId: 'D', isGuest: false })

describe('TypingService', () => {
  it('ends a notice at its timeout, waking the room', async () => {
    const { storage, room, bob, typing } = await setup()
    const heard: StreamNotification[] = []
    storage.streams.notifier.subscribe((n) => heard.push(n))
    const set = await typing.setTyping(as(bob), bob, room.roomId, { typing: true, timeoutMs: 50 })
    expect(set.ok).toBe(true)
    expect(heard).toHaveLength(1)
    await waitFor(() => heard.length === 2, 2000)
    expect(heard[1]?.roomIds).toEqual([room.roomId])
    expect(await storage.typing.nextExpiry()).toBeUndefined()
  })

  it('counts a start as activity, a stop not', async () => {
    const { room, bob, active, typing } = await setup()
    await typing.setTyping(as(bob), bob, room.roomId, { typing: true, timeoutMs: undefined })
    await typing.setTyping(as(bob), bob, room.roomId, { typing: false, timeoutMs: undefined })
    expect(active).toEqual([bob])
  })

  it('caps the timeout', async () => {
    const { storage, room, bob, typing } = await setup()
    const before = Date.now()
    await typing.setTyping(as(bob), bob, room.roomId, { typing: true, timeoutMs: 10 ** 9 })
    const expiry = await storage.typing.nextExpiry()
    expect(expiry).toBeGreaterThanOrEqual(before + MAX_TYPING_TIMEOUT_MS)
    expect(expiry).toBeLessThanOrEqual(Date.now() + MAX_TYPING_TIMEOUT_MS)
  })

  it('refuses typing for someone else or outside the room', async () => {
    const { storage, room, bob, typing } = await setup()
    const other = await typing.setTyping(as(bob), room.creator, room.roomId, {
      typing: true,
      timeoutMs: 1000,
    })
    expect(other).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } })
    await append(storage, room.member(bob, 'leave'))
    const left = await typing.setTyping(as(bob), bob, room.roomId, {
      typing: true,
      timeoutMs: 1000,
    })
    expect(left).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } })
    expect(await storage.typing.nextExpiry()).toBeUndefined()
  })
})
