import type { JsonObject, ServerName, UserId } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import type { Storage } from '../storage/interface.js'
import { HERE, REMOTE, useRoomWithRemoteMember } from '../testing/room-with-remote-member.js'
import type { PresenceRecord } from '../storage/presence-store.js'
import { presenceEdu, presenceEduHandler, presenceFederation } from './presence-federation.js'
import {
  IDLE_TIMEOUT_MS,
  PRESENCE_RESEND_INTERVAL_MS,
  PresenceService,
  REMOTE_PRESENCE_TIMEOUT_MS,
  SYNC_OFFLINE_TIMEOUT_MS,
} from './presence-service.js'
import type { OutboundEdu } from '../federation/sender/federation-sender.js'

const T0 = 1_700_000_000_000

const open = useRoomWithRemoteMember()
const services: PresenceService[] = []
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()))
})

/** Alice (here) and dave (remote.test) share a room; a clock the test moves. */
async function setup(): Promise<{
  storage: Storage
  clock: { now: number }
  presence: PresenceService
  sent: PresenceRecord[]
  alice: UserId
  dave: UserId
  handle: (origin: ServerName, content: JsonObject) => Promise<void>
}> {
  const { storage, alice, dave } = await open()
  const clock = { now: T0 }
  const sent: PresenceRecord[] = []
  const presence = new PresenceService({
    storage,
    now: () => clock.now,
    federation: { serverName: HERE, send: (record) => sent.push(record) },
  })
  services.push(presence)
  const handle = presenceEduHandler({ storage, now: () => clock.now })
  return { storage, clock, presence, sent, alice, dave, handle }
}

const requester = (userId: UserId): Requester => ({ userId, deviceId: 'D', isGuest: false })

describe('presence over federation: outbound', () => {
  it('sends each change of a local user, with its current record', async () => {
    const { clock, presence, sent, alice } = await setup()
    await presence.setStatus(requester(alice), alice, 'online', 'here')
    clock.now += IDLE_TIMEOUT_MS + 1
    const release = await presence.syncStarted(alice, 'online')
    await presence.sweep()
    await presence.recordActivity(alice)
    release()
    clock.now += SYNC_OFFLINE_TIMEOUT_MS + 1
    await presence.sweep()
    expect(sent.map((r) => [r.userId, r.state, r.statusMsg])).toEqual([
      [alice, 'online', 'here'],
      [alice, 'unavailable', 'here'],
      [alice, 'online', 'here'],
      [alice, 'offline', 'here'],
    ])
  })

  it('resends the presence of a user still syncing before other servers time it out', async () => {
    const { clock, presence, sent, alice } = await setup()
    const release = await presence.syncStarted(alice, 'unavailable')
    expect(sent.map((r) => r.state)).toEqual(['unavailable'])
    clock.now += PRESENCE_RESEND_INTERVAL_MS - 1
    await presence.sweep()
    expect(sent).toHaveLength(1)
    clock.now += 1
    await presence.sweep()
    expect(sent.map((r) => r.state)).toEqual(['unavailable', 'unavailable'])
    release()
  })

  it('queues the m.presence EDU for the servers of the user’s rooms', () => {
    const queued: [UserId, OutboundEdu][] = []
    const federation = presenceFederation(
      { serverName: HERE, toRoomMates: (userId, edu) => queued.push([userId, edu]) },
      () => T0 + 5000,
    )
    const alice = '@alice:test' as UserId
    federation.send({
      userId: alice,
      state: 'online',
      statusMsg: 'hi',
      lastActiveTs: T0,
      lastSyncTs: T0,
      streamPosition: 1,
    })
    expect(queued).toEqual([
      [
        alice,
        {
          edu_type: 'm.presence',
          content: {
            push: [
              {
                user_id: alice,
                presence: 'online',
                last_active_ago: 5000,
                currently_active: true,
                status_msg: 'hi',
              },
            ],
          },
        },
      ],
    ])
  })
})

describe('presence over federation: inbound', () => {
  it('stores a remote user’s presence, which local timeouts leave alone', async () => {
    const { storage, clock, presence, sent, alice, dave, handle } = await setup()
    await handle(REMOTE, presenceEdu(dave, { presence: 'online', last_active_ago: 2000 }))
    expect(await storage.presence.get(dave)).toMatchObject({
      state: 'online',
      lastActiveTs: T0 - 2000,
      lastSyncTs: T0,
    })
    const upTo = await storage.streams.currentPosition()
    const seen = await presence.events(alice, undefined, upTo)
    expect(seen).toEqual([
      {
        type: 'm.presence',
        sender: dave,
        content: { presence: 'online', last_active_ago: 2000, currently_active: true },
      },
    ])
    clock.now += IDLE_TIMEOUT_MS + SYNC_OFFLINE_TIMEOUT_MS
    await presence.sweep()
    expect((await storage.presence.get(dave))?.state).toBe('online')
    // Nothing heard from its server for long: offline, and nothing sent about it.
    clock.now = T0 + REMOTE_PRESENCE_TIMEOUT_MS + 1
    await presence.sweep()
    expect((await storage.presence.get(dave))?.state).toBe('offline')
    expect(sent).toEqual([])
  })

  it('takes a resend of the same presence without a change for clients', async () => {
    const { storage, clock, dave, handle } = await setup()
    await handle(REMOTE, presenceEdu(dave, { presence: 'unavailable', last_active_ago: 0 }))
    const before = await storage.streams.currentPosition()
    clock.now += 60_000
    await handle(REMOTE, presenceEdu(dave, { presence: 'unavailable', last_active_ago: 60_000 }))
    expect(await storage.streams.currentPosition()).toBe(before)
    expect((await storage.presence.get(dave))?.lastSyncTs).toBe(clock.now)
    await handle(
      REMOTE,
      presenceEdu(dave, { presence: 'unavailable', last_active_ago: 0, status_msg: 'away' }),
    )
    expect(await storage.presence.get(dave)).toMatchObject({
      statusMsg: 'away',
      streamPosition: before + 1,
    })
  })

  it('drops presence a server may not send, and malformed entries, keeping the rest', async () => {
    const { storage, alice, dave, handle } = await setup()
    const stranger = dave.replace('@dave', '@stranger') as UserId
    const good = { user_id: dave, presence: 'online', last_active_ago: 0 }
    await handle('other.test' as ServerName, { push: [good] })
    await handle(REMOTE, { push: [{ ...good, user_id: alice }] })
    await handle(REMOTE, { push: [{ ...good, user_id: stranger }] })
    await handle(REMOTE, { push: [{ ...good, presence: 'busy' }] })
    await handle(REMOTE, { push: [{ ...good, last_active_ago: -1 }] })
    await handle(REMOTE, { push: [{ ...good, last_active_ago: 'recent' }] })
    await handle(REMOTE, { push: [{ ...good, status_msg: 5 }] })
    await handle(REMOTE, { push: 'nonsense' })
    await handle(REMOTE, { push: ['nonsense'] })
    expect(await storage.presence.get(dave)).toBeUndefined()
    expect(await storage.presence.get(alice)).toBeUndefined()
    expect(await storage.presence.get(stranger)).toBeUndefined()
    await handle(REMOTE, { push: [{ ...good, user_id: stranger }, good] })
    expect((await storage.presence.get(dave))?.state).toBe('online')
  })
})
