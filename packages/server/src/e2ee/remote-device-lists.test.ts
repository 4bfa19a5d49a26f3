import { err, ok, type JsonObject, type Result, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { RemoteDeviceKeys } from '../federation/queries/remote-queries.js'
import type { FederationFailure } from '../federation/transport/federation-client.js'
import { append } from '../storage/contract/test-room.js'
import type { RemoteDeviceList } from '../storage/e2e-key-store.js'
import { HERE, REMOTE, useRoomWithRemoteMember } from '../testing/room-with-remote-member.js'
import { RemoteDeviceLists } from './remote-device-lists.js'

const open = useRoomWithRemoteMember()

const DOWN: FederationFailure = { kind: 'unreachable', message: 'connection refused' }

const keysOf = (userId: UserId, deviceId: string, key = `key-${deviceId}`): JsonObject => ({
  user_id: userId,
  device_id: deviceId,
  algorithms: ['m.megolm.v1.aes-sha2'],
  keys: { [`ed25519:${deviceId}`]: key },
  signatures: {},
})

/** Stands in for the remote server: its users' device lists, and whether it answers. */
class FakeRemote {
  readonly lists = new Map<UserId, RemoteDeviceList>()
  up = true
  deviceFetches = 0
  keyQueries = 0

  userDevices(userId: UserId): Promise<Result<RemoteDeviceList, FederationFailure>> {
    this.deviceFetches += 1
    const list = this.lists.get(userId)
    // An answer a moment later, as over the network: concurrent askers overlap.
    return new Promise((resolve) =>
      setTimeout(() => {
        if (!this.up) resolve(err(DOWN))
        else if (list === undefined)
          resolve(err({ kind: 'http', status: 404, body: null, message: 'no' }))
        else resolve(ok(list))
      }, 5),
    )
  }

  queryKeys(
    _server: string,
    query: ReadonlyMap<UserId, readonly string[]>,
  ): Promise<Result<RemoteDeviceKeys, FederationFailure>> {
    this.keyQueries += 1
    if (!this.up) return Promise.resolve(err(DOWN))
    const answer: RemoteDeviceKeys = { device_keys: {}, master_keys: {}, self_signing_keys: {} }
    for (const userId of query.keys()) {
      const list = this.lists.get(userId)
      answer.device_keys[userId] = Object.fromEntries(
        (list?.devices ?? []).map((d) => [d.deviceId, d.keys ?? {}]),
      )
    }
    return Promise.resolve(ok(answer))
  }

  setDevices(userId: UserId, streamId: number, deviceIds: string[]): void {
    this.lists.set(userId, {
      userId,
      streamId,
      devices: deviceIds.map((deviceId) => ({
        deviceId,
        keys: keysOf(userId, deviceId),
        displayName: deviceId === 'D1' ? 'laptop' : undefined,
      })),
      masterKey: { user_id: userId, usage: ['master'], keys: { 'ed25519:m': 'm' } },
      selfSigningKey: undefined,
    })
  }
}

async function setup() {
  const base = await open()
  const remote = new FakeRemote()
  remote.setDevices(base.dave, 7, ['D1', 'D2'])
  const lists = new RemoteDeviceLists({
    storage: base.storage,
    serverName: HERE,
    remote,
    now: () => 1000,
    logger: { debug: () => undefined, warn: () => undefined },
  })
  const query = (users: [UserId, string[]][]) => lists.queryKeys(REMOTE, new Map(users), 1000)
  return { ...base, remote, lists, query }
}

describe('kept device lists of other servers’ users', () => {
  it('fetches a sharing user’s list once, then answers from it, also while the server is down', async () => {
    const { dave, remote, query } = await setup()
    const first = await query([[dave, []]])
    expect(first.failure).toBeUndefined()
    expect(first.keys.device_keys[dave]).toEqual({
      D1: { ...keysOf(dave, 'D1'), unsigned: { device_display_name: 'laptop' } },
      D2: keysOf(dave, 'D2'),
    })
    expect(first.keys.master_keys[dave]).toEqual(remote.lists.get(dave)?.masterKey)
    expect(remote.deviceFetches).toBe(1)

    remote.up = false
    const second = await query([[dave, ['D2']]])
    expect(second.failure).toBeUndefined()
    expect(second.keys.device_keys[dave]).toEqual({ D2: keysOf(dave, 'D2') })
    expect(remote.deviceFetches).toBe(1)
    expect(remote.keyQueries).toBe(0)
  })

  it('folds in updates that follow, and fetches the list again after a missed one', async () => {
    const { dave, remote, lists, query } = await setup()
    await query([[dave, []]])
    await lists.deviceUpdated({
      userId: dave,
      deviceId: 'D3',
      streamId: 8,
      prevIds: [7],
      deleted: false,
      keys: keysOf(dave, 'D3'),
      displayName: undefined,
    })
    await lists.deviceUpdated({
      userId: dave,
      deviceId: 'D1',
      streamId: 9,
      prevIds: [8],
      deleted: true,
      keys: undefined,
      displayName: undefined,
    })
    let answer = await query([[dave, []]])
    expect(Object.keys(answer.keys.device_keys[dave] ?? {}).sort()).toEqual(['D2', 'D3'])
    expect(remote.deviceFetches).toBe(1)

    // 10 was lost on the way: 11 cannot be trusted to complete the list.
    remote.setDevices(dave, 11, ['D2', 'D4', 'D5'])
    await lists.deviceUpdated({
      userId: dave,
      deviceId: 'D5',
      streamId: 11,
      prevIds: [10],
      deleted: false,
      keys: keysOf(dave, 'D5'),
      displayName: undefined,
    })
    await lists.settled()
    expect(remote.deviceFetches).toBe(2)
    answer = await query([[dave, []]])
    expect(Object.keys(answer.keys.device_keys[dave] ?? {}).sort()).toEqual(['D2', 'D4', 'D5'])
    expect(remote.deviceFetches).toBe(2)
  })

  it('serves the stale list beside the failure when the fetch after a gap fails', async () => {
    const { dave, remote, lists, query } = await setup()
    await query([[dave, []]])
    remote.up = false
    await lists.deviceUpdated({
      userId: dave,
      deviceId: 'D9',
      streamId: 20,
      prevIds: [19],
      deleted: false,
      keys: keysOf(dave, 'D9'),
      displayName: undefined,
    })
    await lists.settled()
    const answer = await query([[dave, []]])
    expect(answer.failure).toEqual(DOWN)
    expect(Object.keys(answer.keys.device_keys[dave] ?? {}).sort()).toEqual(['D1', 'D2'])

    remote.up = true
    remote.setDevices(dave, 20, ['D2', 'D9'])
    const healed = await query([[dave, []]])
    expect(healed.failure).toBeUndefined()
    expect(Object.keys(healed.keys.device_keys[dave] ?? {}).sort()).toEqual(['D2', 'D9'])
  })

  it('asks each time for users sharing no room, and forgets a list once sharing ends', async () => {
    const { storage, room, dave, remote, query } = await setup()
    const stranger = dave.replace('@dave', '@erin') as UserId
    remote.setDevices(stranger, 1, ['E1'])
    const answer = await query([
      [dave, []],
      [stranger, []],
    ])
    expect(Object.keys(answer.keys.device_keys[stranger] ?? {})).toEqual(['E1'])
    expect(remote.keyQueries).toBe(1)
    expect(remote.deviceFetches).toBe(1)
    expect([
      ...(await storage.remoteDeviceLists.kept([dave, stranger], `:${HERE}`)).keys(),
    ]).toEqual([dave])

    await append(storage, room.member(dave, 'leave'))
    await query([[dave, []]])
    expect(remote.keyQueries).toBe(2)
    expect((await storage.remoteDeviceLists.kept([dave], `:${HERE}`)).size).toBe(0)
  })

  it('fetches once for concurrent askers, and once more for an update during the fetch', async () => {
    const { dave, remote, lists, query } = await setup()
    const answers = await Promise.all([query([[dave, []]]), query([[dave, ['D1']]])])
    expect(remote.deviceFetches).toBe(1)
    expect(Object.keys(answers[1].keys.device_keys[dave] ?? {})).toEqual(['D1'])

    // Stale, then two gaps while the first fetch is in flight: one fetch more, not two.
    await lists.deviceUpdated({
      userId: dave,
      deviceId: 'D6',
      streamId: 30,
      prevIds: [29],
      deleted: false,
      keys: keysOf(dave, 'D6'),
      displayName: undefined,
    })
    lists.refetch(dave)
    lists.refetch(dave)
    await lists.settled()
    expect(remote.deviceFetches).toBe(3)
  })
})
