import type { UserId } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { append, createRoom, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import {
  ACTIVITY_GRANULARITY_MS,
  IDLE_TIMEOUT_MS,
  PresenceService,
  SYNC_OFFLINE_TIMEOUT_MS,
} from './presence-service.js'

const T0 = 1_700_000_000_000

const opened: Storage[] = []
const services: PresenceService[] = []
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()))
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

/** A storage where alice and bob share a room, and a clock the test moves. */
async function setup(): Promise<{
  storage: Storage
  clock: { now: number }
  service: (storage?: Storage) => PresenceService
  alice: UserId
  bob: UserId
}> {
  const storage = await openStorage('sqlite::memory:')
  opened.push(storage)
  const room = new TestRoom()
  await createRoom(storage, room)
  const alice = room.creator
  const bob = alice.replace('@alice', '@bob') as UserId
  await append(storage, room.member(bob, 'join'))
  const clock = { now: T0 }
  const service = (on: Storage = storage): PresenceService => {
    const made = new PresenceService({ storage: on, now: () => clock.now })
    services.push(made)
    return made
  }
  return { storage, clock, service, alice, bob }
}

const requester = (userId: UserId): Requester => ({ userId, deviceId: 'D', isGuest: false })

describe('PresenceService', () => {
  it('a sync brings an offline user online, who goes offline 30 s after the last sync ends', async () => {
    const { storage, clock, service, alice } = await setup()
    const presence = service()
    const release = await presence.syncStarted(alice, 'online')
    expect(await storage.presence.get(alice)).toMatchObject({
      state: 'online',
      lastActiveTs: T0,
      lastSyncTs: T0,
    })
    // A long-poll that runs for a minute keeps the user online: the sweep records it.
    clock.now += 60_000
    await presence.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('online')
    release()
    clock.now += SYNC_OFFLINE_TIMEOUT_MS - 5_000
    await presence.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('online')
    clock.now += 10_000
    await presence.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('offline')
  })

  it('an online user idle for 5 minutes becomes unavailable; activity brings them back', async () => {
    const { storage, clock, service, alice } = await setup()
    const presence = service()
    const release = await presence.syncStarted(alice, 'online')
    clock.now += IDLE_TIMEOUT_MS - 1000
    await presence.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('online')
    clock.now += 2000
    await presence.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('unavailable')
    // Still syncing: syncing again does not undo it, activity does.
    release()
    const again = await presence.syncStarted(alice, 'online')
    expect((await storage.presence.get(alice))?.state).toBe('unavailable')
    await presence.recordActivity(alice)
    expect(await storage.presence.get(alice)).toMatchObject({
      state: 'online',
      lastActiveTs: clock.now,
    })
    again()
  })

  it('writes the activity of an online user silently, at most once a minute', async () => {
    const { storage, clock, service, alice } = await setup()
    const presence = service()
    await presence.setStatus(requester(alice), alice, 'online', undefined)
    const position = await storage.streams.currentPosition()
    clock.now += ACTIVITY_GRANULARITY_MS
    await presence.recordActivity(alice)
    expect((await storage.presence.get(alice))?.lastActiveTs).toBe(clock.now)
    const recorded = clock.now
    clock.now += 1000
    await presence.recordActivity(alice)
    expect((await storage.presence.get(alice))?.lastActiveTs).toBe(recorded)
    // Nobody was told: the stream did not move.
    expect(await storage.streams.currentPosition()).toBe(position)
    // Offline users stay offline whatever they do.
    await presence.setStatus(requester(alice), alice, 'offline', undefined)
    clock.now += ACTIVITY_GRANULARITY_MS
    await presence.recordActivity(alice)
    expect((await storage.presence.get(alice))?.state).toBe('offline')
  })

  it('set_presence=unavailable marks idle; offline leaves presence alone', async () => {
    const { storage, service, alice, bob } = await setup()
    const presence = service()
    const off = await presence.syncStarted(alice, 'offline')
    expect(await storage.presence.get(alice)).toBeUndefined()
    off()
    const idle = await presence.syncStarted(bob, 'unavailable')
    expect(await storage.presence.get(bob)).toMatchObject({ state: 'unavailable' })
    idle()
  })

  it('a sync running in one process keeps the user online for the sweeps of another', async () => {
    const { storage, clock, service, alice } = await setup()
    const serving = service()
    const other = service(storage)
    const release = await serving.syncStarted(alice, 'online')
    for (let i = 0; i < 4; i++) {
      clock.now += 20_000
      await serving.sweep()
      await other.sweep()
      expect((await storage.presence.get(alice))?.state, `after ${i}`).toBe('online')
    }
    release()
    clock.now += 40_000
    await serving.sweep()
    await other.sweep()
    expect((await storage.presence.get(alice))?.state).toBe('offline')
  })

  it('lets users read only the presence of those they share a room with', async () => {
    const { storage, service, alice, bob } = await setup()
    const presence = service()
    const carol = alice.replace('@alice', '@carol') as UserId
    await presence.setStatus(requester(alice), alice, 'online', 'hello')
    expect(await presence.getStatus(requester(bob), alice)).toMatchObject({
      ok: true,
      value: {
        presence: 'online',
        status_msg: 'hello',
        currently_active: true,
        last_active_ago: 0,
      },
    })
    expect(await presence.getStatus(requester(carol), alice)).toMatchObject({
      ok: false,
      error: { errcode: 'M_FORBIDDEN' },
    })
    expect(await presence.getStatus(requester(carol), carol)).toEqual({
      ok: true,
      value: { presence: 'offline' },
    })
    expect(await presence.setStatus(requester(bob), alice, 'offline', undefined)).toMatchObject({
      ok: false,
      error: { errcode: 'M_FORBIDDEN' },
    })
    expect((await storage.presence.get(alice))?.state).toBe('online')
  })

  it('formats m.presence content as the spec has it', async () => {
    const { service, alice } = await setup()
    const presence = service()
    const base = {
      userId: alice,
      statusMsg: undefined,
      lastActiveTs: T0,
      lastSyncTs: T0,
      streamPosition: 1,
    }
    expect(presence.content({ ...base, state: 'online' }, T0 + 5)).toEqual({
      presence: 'online',
      last_active_ago: 5,
      currently_active: true,
    })
    expect(presence.content({ ...base, state: 'unavailable', statusMsg: 'away' }, T0 + 5)).toEqual({
      presence: 'unavailable',
      last_active_ago: 5,
      status_msg: 'away',
    })
  })
})
