import { ok, type JsonObject, type ServerName, type UserId } from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { afterEach, describe, expect, it } from 'vitest'
import type { OutboundEdu } from '../federation/sender/federation-sender.js'
import type { Requester } from '../http/authenticate.js'
import { append, createRoom, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { E2eeFederation } from './e2ee-federation.js'
import { E2eeService } from './e2ee-service.js'
import type { KeyUploadRequest } from './key-requests.js'

const HERE = 'test' as ServerName

const opened: Storage[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

/**
 * Alice (here, device A1) in a room with dave (remote.test), frank (third.test) and gina (here);
 * hugo (here) in a room of his own. What the services queue for other servers lands in `sent`.
 */
async function setup(): Promise<{
  storage: Storage
  alice: UserId
  hugo: UserId
  dave: UserId
  frank: UserId
  e2ee: E2eeService
  federation: E2eeFederation
  sent: [readonly ServerName[], OutboundEdu][]
}> {
  const storage = await openStorage('sqlite::memory:')
  opened.push(storage)
  const room = new TestRoom()
  await createRoom(storage, room)
  const alice = room.creator
  const other = (name: string, server: string): UserId =>
    alice.replace('@alice', `@${name}`).replace(':test', `:${server}`) as UserId
  const dave = other('dave', 'remote.test')
  const frank = other('frank', 'third.test')
  for (const member of [dave, frank, other('gina', 'test')]) {
    await append(storage, room.member(member, 'join'))
  }
  const lonely = new TestRoom(other('hugo', 'test'))
  await createRoom(storage, lonely)
  for (const userId of [alice, lonely.creator]) {
    const created = await storage.accounts.createUser({ userId, createdTs: 1 })
    if (!created.ok) throw new Error('user exists')
    await storage.accounts.createDevice({ userId, deviceId: 'A1', createdTs: 1 })
  }
  const sent: [readonly ServerName[], OutboundEdu][] = []
  const federation = new E2eeFederation({
    storage,
    serverName: HERE,
    sender: {
      enqueueEdu: (destinations, edu) => {
        sent.push([destinations, edu])
        return Promise.resolve()
      },
    },
    logger: { warn: () => undefined },
  })
  const e2ee = new E2eeService({
    storage,
    serverName: HERE,
    crypto: nodeCryptoProvider,
    uia: {
      run: () => Promise.resolve(ok({ sessionId: 's', completed: new Map<string, string>() })),
      finish: () => Promise.resolve(undefined),
    },
    federation,
  })
  return { storage, alice, hugo: lonely.creator, dave, frank, e2ee, federation, sent }
}

const as = (userId: UserId): Requester => ({ userId, deviceId: 'A1', isGuest: false })

function deviceKeys(userId: UserId, curve: string): JsonObject {
  return {
    user_id: userId,
    device_id: 'A1',
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { 'curve25519:A1': curve, 'ed25519:A1': 'ed' },
    signatures: { [userId]: { 'ed25519:A1': 'sig' } },
  }
}

const upload = (keys: JsonObject | undefined): KeyUploadRequest => ({
  deviceKeys: keys,
  oneTimeKeys: [],
  fallbackKeys: [],
})

const SERVERS = ['remote.test', 'third.test']

describe('device list updates for other servers', () => {
  it('announces new and changed device keys, chained by stream ID, and not a repeat', async () => {
    const { storage, alice, e2ee, sent } = await setup()
    expect(await e2ee.uploadKeys(as(alice), upload(deviceKeys(alice, 'c1')))).toMatchObject({
      ok: true,
    })
    expect(await e2ee.uploadKeys(as(alice), upload(deviceKeys(alice, 'c1')))).toMatchObject({
      ok: true,
    })
    expect(await e2ee.uploadKeys(as(alice), upload(undefined))).toMatchObject({ ok: true })
    expect(await e2ee.uploadKeys(as(alice), upload(deviceKeys(alice, 'c2')))).toMatchObject({
      ok: true,
    })
    expect(sent).toEqual([
      [
        SERVERS,
        {
          edu_type: 'm.device_list_update',
          content: {
            user_id: alice,
            device_id: 'A1',
            stream_id: 1,
            prev_id: [],
            keys: deviceKeys(alice, 'c1'),
          },
        },
      ],
      [
        SERVERS,
        {
          edu_type: 'm.device_list_update',
          content: {
            user_id: alice,
            device_id: 'A1',
            stream_id: 2,
            prev_id: [1],
            keys: deviceKeys(alice, 'c2'),
          },
        },
      ],
    ])
    expect(await storage.deviceLists.outboundStreamId(alice)).toBe(2)
  })

  it('announces a renamed device with its keys, and not one without keys', async () => {
    const { storage, alice, e2ee, sent } = await setup()
    await e2ee.deviceRenamed(alice, 'A1')
    expect(sent).toEqual([])
    await e2ee.uploadKeys(as(alice), upload(deviceKeys(alice, 'c1')))
    await storage.accounts.updateDeviceDisplayName(alice, 'A1', 'laptop')
    await e2ee.deviceRenamed(alice, 'A1')
    expect(sent[1]?.[1].content).toEqual({
      user_id: alice,
      device_id: 'A1',
      stream_id: 2,
      prev_id: [1],
      keys: deviceKeys(alice, 'c1'),
      device_display_name: 'laptop',
    })
  })

  it('announces deleted devices', async () => {
    const { alice, federation, sent } = await setup()
    await federation.devicesDeleted(alice, ['A1', 'A9'])
    expect(sent.map(([servers, edu]) => [servers, edu.content])).toEqual([
      [SERVERS, { user_id: alice, device_id: 'A1', stream_id: 1, prev_id: [], deleted: true }],
      [SERVERS, { user_id: alice, device_id: 'A9', stream_id: 2, prev_id: [1], deleted: true }],
    ])
  })

  it('sends nothing, and takes no stream ID, for a user sharing rooms with no other server', async () => {
    const { storage, hugo, e2ee, sent } = await setup()
    expect(await e2ee.uploadKeys(as(hugo), upload(deviceKeys(hugo, 'c1')))).toMatchObject({
      ok: true,
    })
    expect(sent).toEqual([])
    expect(await storage.deviceLists.outboundStreamId(hugo)).toBe(0)
  })

  it('announces new master and self-signing keys, and not a user-signing key alone', async () => {
    const { alice, e2ee, sent } = await setup()
    const publicKey = Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')
    const master = {
      user_id: alice,
      usage: ['master'],
      keys: { [`ed25519:${publicKey}`]: publicKey },
    }
    expect(
      await e2ee.uploadCrossSigningKeys(as(alice), { keys: { master }, auth: undefined }),
    ).toMatchObject({ ok: true })
    expect(sent).toEqual([
      [
        SERVERS,
        { edu_type: 'm.signing_key_update', content: { user_id: alice, master_key: master } },
      ],
    ])
    // The same keys again change nothing.
    await e2ee.uploadCrossSigningKeys(as(alice), { keys: { master }, auth: undefined })
    expect(sent).toHaveLength(1)
  })
})

describe('to-device messages for other servers', () => {
  it('queues one m.direct_to_device per server, under one message ID per transaction', async () => {
    const { alice, dave, frank, e2ee, sent } = await setup()
    const messages = new Map([
      [dave, new Map([['D1', { secret: 1 }]])],
      [frank, new Map([['*', { secret: 2 }]])],
      [alice, new Map([['A1', { secret: 3 }]])],
    ])
    expect(await e2ee.sendToDevice(as(alice), 'm.room.encrypted', 'txn1', messages)).toEqual(ok({}))
    expect(sent.map(([servers, edu]) => [servers, edu.edu_type])).toEqual([
      [['remote.test'], 'm.direct_to_device'],
      [['third.test'], 'm.direct_to_device'],
    ])
    const [first, second] = sent.map(([, edu]) => edu.content)
    expect(first).toMatchObject({
      sender: alice,
      type: 'm.room.encrypted',
      messages: { [dave]: { D1: { secret: 1 } } },
    })
    expect(second).toMatchObject({ messages: { [frank]: { '*': { secret: 2 } } } })
    expect(first?.['message_id']).toBe(second?.['message_id'])
    // A retry of the transaction goes out again under the same ID, which the receiver drops.
    await e2ee.sendToDevice(as(alice), 'm.room.encrypted', 'txn1', messages)
    expect(sent[2]?.[1].content['message_id']).toBe(first?.['message_id'])
    await e2ee.sendToDevice(as(alice), 'm.room.encrypted', 'txn2', messages)
    expect(sent[4]?.[1].content['message_id']).not.toBe(first?.['message_id'])
  })
})
