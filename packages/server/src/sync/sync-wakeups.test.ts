import type { RoomId, UserId } from '@rhizome/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StreamEmitter } from '../storage/engine/stream-emitter.js'
import type { StreamNotification } from '../storage/interface.js'
import { SyncWakeups } from './sync-wakeups.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId
const roomA = '!a:test' as RoomId
const roomB = '!b:test' as RoomId

function note(position: number, parts: Partial<StreamNotification> = {}): StreamNotification {
  return { position, roomIds: [], userIds: [], catchUp: false, ...parts }
}

function setup(capacity?: number): { emitter: StreamEmitter; wakeups: SyncWakeups } {
  const emitter = new StreamEmitter((e) => {
    throw e
  })
  const wakeups = new SyncWakeups(emitter, capacity)
  opened.push(wakeups)
  return { emitter, wakeups }
}

const opened: SyncWakeups[] = []
afterEach(() => {
  for (const w of opened.splice(0)) w.close()
  vi.useRealTimers()
})

describe('SyncWakeups', () => {
  it('wakes a waiter when one of its rooms gets an event after its position', async () => {
    const { emitter, wakeups } = setup()
    const waiting = wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 60_000)
    expect(wakeups.waiting).toBe(1)
    emitter.emit(note(11, { roomIds: [roomA] }))
    await expect(waiting).resolves.toBe('news')
    expect(wakeups.waiting).toBe(0)
  })

  it('wakes a waiter for news addressed to its user (account data, invites)', async () => {
    const { emitter, wakeups } = setup()
    const waiting = wakeups.waitForNews({ userId: alice, roomIds: [] }, 10, 60_000)
    emitter.emit(note(11, { userIds: [alice] }))
    await expect(waiting).resolves.toBe('news')
  })

  it('leaves waiters alone for other rooms and users, and for positions it has seen', async () => {
    vi.useFakeTimers()
    const { emitter, wakeups } = setup()
    const waiting = wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 1000)
    emitter.emit(note(11, { roomIds: [roomB], userIds: [bob] }))
    // A late notification of a write the request already read does not count as news.
    emitter.emit(note(9, { roomIds: [roomA] }))
    emitter.emit(note(10, { userIds: [alice] }))
    expect(wakeups.waiting).toBe(1)
    await vi.advanceTimersByTimeAsync(1000)
    await expect(waiting).resolves.toBe('timeout')
    expect(wakeups.waiting).toBe(0)
  })

  it('wakes everybody on a catch-up', async () => {
    const { emitter, wakeups } = setup()
    const one = wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 60_000)
    const two = wakeups.waitForNews({ userId: bob, roomIds: [] }, 10, 60_000)
    emitter.emit(note(10, { catchUp: true }))
    await expect(Promise.all([one, two])).resolves.toEqual(['news', 'news'])
  })

  it('answers at once for news that arrived between reading the position and waiting', async () => {
    const { emitter, wakeups } = setup()
    // The request read position 10, then this commit landed while it was building its response.
    emitter.emit(note(11, { roomIds: [roomA] }))
    await expect(
      wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 60_000),
    ).resolves.toBe('news')
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 11, 0)).resolves.toBe(
      'timeout',
    )
    emitter.emit(note(12, { userIds: [alice] }))
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [] }, 11, 0)).resolves.toBe('news')
    emitter.emit(note(13, { catchUp: true }))
    await expect(wakeups.waitForNews({ userId: bob, roomIds: [] }, 12, 0)).resolves.toBe('news')
    expect(wakeups.waiting).toBe(0)
  })

  it('says news when its memory of recent notifications no longer reaches back far enough', async () => {
    const { emitter, wakeups } = setup(2)
    emitter.emit(note(11, { roomIds: [roomB] }))
    emitter.emit(note(12, { roomIds: [roomB] }))
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 0)).resolves.toBe(
      'timeout',
    )
    emitter.emit(note(13, { roomIds: [roomB] })) // pushes 11 out
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 10, 0)).resolves.toBe(
      'news',
    )
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [roomA] }, 11, 0)).resolves.toBe(
      'timeout',
    )
  })

  it('times out with a zero timeout and when aborted', async () => {
    const { wakeups } = setup()
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [] }, 0, 0)).resolves.toBe('timeout')
    const controller = new AbortController()
    const waiting = wakeups.waitForNews(
      { userId: alice, roomIds: [roomA] },
      0,
      60_000,
      controller.signal,
    )
    controller.abort()
    await expect(waiting).resolves.toBe('timeout')
    expect(wakeups.waiting).toBe(0)
    await expect(
      wakeups.waitForNews({ userId: alice, roomIds: [] }, 0, 60_000, controller.signal),
    ).resolves.toBe('timeout')
  })

  it('releases every waiter on close and unsubscribes', async () => {
    const { emitter, wakeups } = setup()
    const waiting = wakeups.waitForNews({ userId: alice, roomIds: [roomA, roomA] }, 0, 60_000)
    expect(emitter.listenerCount).toBe(1)
    wakeups.close()
    wakeups.close()
    await expect(waiting).resolves.toBe('closed')
    expect(emitter.listenerCount).toBe(0)
    await expect(wakeups.waitForNews({ userId: alice, roomIds: [] }, 0, 1000)).resolves.toBe(
      'closed',
    )
  })

  it('indexes waiters so that a notification touches only the ones it concerns', async () => {
    const { emitter, wakeups } = setup()
    const rooms = Array.from({ length: 2000 }, (_, i) => `!r${i}:test` as RoomId)
    const waits = rooms.map((roomId, i) =>
      wakeups.waitForNews({ userId: `@u${i}:test` as UserId, roomIds: [roomId] }, 0, 60_000),
    )
    expect(wakeups.waiting).toBe(2000)
    emitter.emit(note(1, { roomIds: [rooms[7] as RoomId] }))
    await expect(waits[7]).resolves.toBe('news')
    expect(wakeups.waiting).toBe(1999)
    emitter.emit(note(2, { userIds: ['@u9:test' as UserId] }))
    await expect(waits[9]).resolves.toBe('news')
    expect(wakeups.waiting).toBe(1998)
    wakeups.close()
    await Promise.all(waits)
  })

  it('refuses a ring without room (a bug)', () => {
    const emitter = new StreamEmitter(() => undefined)
    expect(() => new SyncWakeups(emitter, 0)).toThrow()
  })
})
