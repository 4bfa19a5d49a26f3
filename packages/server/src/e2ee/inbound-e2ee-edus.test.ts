import type { JsonObject, ServerName, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { append, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { HERE, REMOTE, useRoomWithRemoteMember } from '../testing/room-with-remote-member.js'
import { deviceListChanges } from '../sync/e2ee-sync.js'
import { e2eeEduHandlers } from './inbound-e2ee-edus.js'

const open = useRoomWithRemoteMember()

/** A room of alice (here, devices A1 and A2) and dave (remote.test). */
async function setup(): Promise<{
  storage: Storage
  room: TestRoom
  alice: UserId
  dave: UserId
  handlers: ReturnType<typeof e2eeEduHandlers>
  dropped: unknown[]
}> {
  const { storage, room, alice, dave } = await open()
  const created = await storage.accounts.createUser({ userId: alice, createdTs: 1 })
  if (!created.ok) throw new Error('alice exists')
  for (const deviceId of ['A1', 'A2']) {
    await storage.accounts.createDevice({ userId: alice, deviceId, createdTs: 1 })
  }
  const dropped: unknown[] = []
  const handlers = e2eeEduHandlers({
    storage,
    serverName: HERE,
    now: () => 5000,
    logger: { debug: (obj: unknown) => dropped.push(obj) },
  })
  return { storage, room, alice, dave, handlers, dropped }
}

async function handle(
  handlers: ReturnType<typeof e2eeEduHandlers>,
  type: string,
  origin: ServerName,
  content: JsonObject,
): Promise<void> {
  const handler = handlers[type]
  if (handler === undefined) throw new Error(`no handler for ${type}`)
  await handler(origin, content)
}

describe('inbound m.device_list_update and m.signing_key_update', () => {
  it('puts the remote user in device_lists.changed of local users sharing a room', async () => {
    const { storage, alice, dave, handlers } = await setup()
    const since = await storage.streams.currentPosition()
    await handle(handlers, 'm.device_list_update', REMOTE, {
      user_id: dave,
      device_id: 'D1',
      stream_id: 3,
      prev_id: [2],
      deleted: true,
    })
    const afterDevice = await storage.streams.currentPosition()
    expect(await deviceListChanges(storage, alice, since, afterDevice)).toEqual({
      changed: [dave],
      left: [],
    })
    await handle(handlers, 'm.signing_key_update', REMOTE, { user_id: dave, master_key: {} })
    const afterKeys = await storage.streams.currentPosition()
    expect(afterKeys).toBeGreaterThan(afterDevice)
    expect(await deviceListChanges(storage, alice, afterDevice, afterKeys)).toEqual({
      changed: [dave],
      left: [],
    })
  })

  it('drops updates about users of other servers, sharing no room, or malformed', async () => {
    const { storage, dave, handlers, dropped } = await setup()
    const before = await storage.streams.currentPosition()
    const stranger = dave.replace('@dave', '@stranger') as UserId
    const valid = { user_id: dave, device_id: 'D1', stream_id: 1, prev_id: [] }
    await handle(handlers, 'm.device_list_update', 'other.test' as ServerName, valid)
    await handle(handlers, 'm.device_list_update', REMOTE, { ...valid, user_id: stranger })
    await handle(handlers, 'm.device_list_update', REMOTE, { ...valid, user_id: 'not a user' })
    await handle(handlers, 'm.device_list_update', REMOTE, { user_id: dave, stream_id: 1 })
    await handle(handlers, 'm.signing_key_update', 'other.test' as ServerName, { user_id: dave })
    await handle(handlers, 'm.signing_key_update', REMOTE, {})
    expect(await storage.streams.currentPosition()).toBe(before)
    expect(dropped).toHaveLength(6)
  })
})

describe('key updates into the kept device lists', () => {
  it('hands well-formed updates about their own devices and keys to the kept lists', async () => {
    const { storage, dave } = await setup()
    const updates: unknown[] = []
    const signing: unknown[] = []
    const dropped: unknown[] = []
    const handlers = e2eeEduHandlers({
      storage,
      serverName: HERE,
      now: () => 5000,
      logger: { debug: (obj: unknown) => dropped.push(obj) },
      deviceLists: {
        deviceUpdated: (update) => {
          updates.push(update)
          return Promise.resolve()
        },
        signingKeysUpdated: (userId, master, selfSigning) => {
          signing.push([userId, master, selfSigning])
          return Promise.resolve()
        },
      },
    })
    const keys = { user_id: dave, device_id: 'D1', keys: { 'ed25519:D1': 'k' } }
    const edu = { user_id: dave, device_id: 'D1', stream_id: 4, prev_id: [3], keys }
    await handle(handlers, 'm.device_list_update', REMOTE, {
      ...edu,
      device_display_name: 'phone',
    })
    // The first of a sequence may leave out prev_id; deleted is false unless said.
    await handle(handlers, 'm.device_list_update', REMOTE, {
      user_id: dave,
      device_id: 'D2',
      stream_id: 1,
      deleted: true,
    })
    expect(updates).toEqual([
      {
        userId: dave,
        deviceId: 'D1',
        streamId: 4,
        prevIds: [3],
        deleted: false,
        keys,
        displayName: 'phone',
      },
      {
        userId: dave,
        deviceId: 'D2',
        streamId: 1,
        prevIds: [],
        deleted: true,
        keys: undefined,
        displayName: undefined,
      },
    ])
    // Keys of another device, a fractional stream ID, prev_ids that are not integers.
    await handle(handlers, 'm.device_list_update', REMOTE, { ...edu, device_id: 'D9' })
    await handle(handlers, 'm.device_list_update', REMOTE, { ...edu, stream_id: 4.5 })
    await handle(handlers, 'm.device_list_update', REMOTE, { ...edu, prev_id: ['3'] })
    expect(updates).toHaveLength(2)
    expect(dropped).toHaveLength(3)

    const master = { user_id: dave, usage: ['master'], keys: { 'ed25519:m': 'm' } }
    const foreign = { user_id: '@mallory:remote.test', usage: ['self_signing'], keys: {} }
    await handle(handlers, 'm.signing_key_update', REMOTE, {
      user_id: dave,
      master_key: master,
      self_signing_key: foreign,
    })
    expect(signing).toEqual([[dave, master, undefined]])
  })
})

describe('remote memberships and device lists', () => {
  it('tells local users of a remote user who joins, and who leaves, their room', async () => {
    const { storage, room, alice, dave } = await setup()
    const erin = dave.replace('@dave', '@erin') as UserId
    const t0 = await storage.streams.currentPosition()
    await append(storage, room.member(erin, 'join'))
    const t1 = await storage.streams.currentPosition()
    expect(await deviceListChanges(storage, alice, t0, t1)).toEqual({ changed: [erin], left: [] })
    await append(storage, room.member(erin, 'leave'))
    const t2 = await storage.streams.currentPosition()
    expect(await deviceListChanges(storage, alice, t1, t2)).toEqual({ changed: [], left: [erin] })
  })
})

describe('inbound m.direct_to_device', () => {
  it('delivers to the named and to every device once per sender and message ID', async () => {
    const { storage, alice, dave, handlers } = await setup()
    const since = await storage.streams.currentPosition()
    const edu = {
      sender: dave,
      type: 'm.room.encrypted',
      message_id: 'm1',
      messages: {
        [alice]: { '*': { ciphertext: 'all' } },
        '@bob:elsewhere.test': { B1: { ciphertext: 'not ours' } },
      },
    }
    await handle(handlers, 'm.direct_to_device', REMOTE, edu)
    await handle(handlers, 'm.direct_to_device', REMOTE, edu)
    await handle(handlers, 'm.direct_to_device', REMOTE, {
      ...edu,
      message_id: 'm2',
      messages: { [alice]: { A2: { ciphertext: 'one' } } },
    })
    const upTo = await storage.streams.currentPosition()
    const contents = async (deviceId: string): Promise<unknown[]> =>
      (await storage.toDevice.pending(alice, deviceId, since, upTo, 10)).map((m) => [
        m.sender,
        m.type,
        m.content,
      ])
    expect(await contents('A1')).toEqual([[dave, 'm.room.encrypted', { ciphertext: 'all' }]])
    expect(await contents('A2')).toEqual([
      [dave, 'm.room.encrypted', { ciphertext: 'all' }],
      [dave, 'm.room.encrypted', { ciphertext: 'one' }],
    ])
  })

  it('drops a message whose sender is not of the origin, or that is malformed', async () => {
    const { storage, alice, dave, handlers, dropped } = await setup()
    const before = await storage.streams.currentPosition()
    const edu = {
      sender: dave,
      type: 'm.room.encrypted',
      message_id: 'm1',
      messages: { [alice]: { A1: { ciphertext: 'x' } } },
    }
    await handle(handlers, 'm.direct_to_device', 'other.test' as ServerName, edu)
    await handle(handlers, 'm.direct_to_device', REMOTE, { ...edu, message_id: 7 })
    await handle(handlers, 'm.direct_to_device', REMOTE, { ...edu, type: '' })
    await handle(handlers, 'm.direct_to_device', REMOTE, { ...edu, messages: { [alice]: 'x' } })
    await handle(handlers, 'm.direct_to_device', REMOTE, {
      ...edu,
      messages: { [alice]: { A1: 'not an object' } },
    })
    expect(await storage.streams.currentPosition()).toBe(before)
    expect(dropped).toHaveLength(5)
  })
})
