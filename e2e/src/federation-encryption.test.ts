/**
 * End-to-end encryption across two servers, through matrix-js-sdk with its Rust crypto: Alice on
 * server A and Bob on server B share an encrypted room, and each decrypts what the other wrote.
 * That takes every federated piece of encryption: the device list changes of a remote join,
 * /keys/query and /keys/claim answered by the other server, and the room keys carried as
 * m.direct_to_device EDUs. Then the server of one goes down, and the other still serves its
 * user's keys from the device list it keeps. One of the servers runs on PostgreSQL when
 * RHIZOME_TEST_POSTGRES is set.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation } from './harness/federation.js'
import {
  cryptoClient,
  decrypted,
  eventuallyAsync,
  findEvent,
  loginDevice,
} from './harness/crypto-clients.js'
import { eventually, registerAccount, type Account } from './harness/matrix-clients.js'

const login = loginDevice

/** Deletes the device through the password stage of user-interactive auth. */
async function deleteDevice(baseUrl: string, account: Account, deviceId: string): Promise<void> {
  const request = (auth: object | undefined): Promise<Response> =>
    fetch(`${baseUrl}/_matrix/client/v3/delete_devices`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${account.accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ devices: [deviceId], ...(auth === undefined ? {} : { auth }) }),
    })
  const first = await request(undefined)
  expect(first.status).toBe(401)
  const { session } = (await first.json()) as { session: string }
  const second = await request({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: account.userId },
    password: account.password,
    session,
  })
  expect(second.status).toBe(200)
}

/** The current `next_batch` of the account at its server. */
async function syncToken(baseUrl: string, account: Account): Promise<string> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/sync?timeout=0`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { next_batch: string }).next_batch
}

/** Waits for the event at the client and returns its cleartext. */
async function receive(
  client: MatrixClient,
  roomId: string,
  eventId: string,
  what: string,
): Promise<Record<string, unknown>> {
  await eventually(() => findEvent(client, roomId, eventId) !== undefined, what, 30_000)
  const event = findEvent(client, roomId, eventId)
  if (event === undefined) throw new Error('no event')
  return decrypted(client, event)
}

describe('end-to-end encryption across two servers', () => {
  let federation: Federation
  const clients: MatrixClient[] = []

  beforeAll(async () => {
    // The Rust crypto traces every step at debug level to the console.
    for (const level of ['debug', 'log', 'info'] as const) {
      vi.spyOn(console, level).mockImplementation(() => undefined)
    }
    federation = await startFederation([...BACKENDS, ...BACKENDS].slice(0, 2).reverse())
  }, 90_000)

  afterAll(async () => {
    vi.restoreAllMocks()
    for (const client of clients) client.stopClient()
    await federation.close()
  })

  it('lets Bob on B decrypt what Alice on A sends, and Alice decrypt his reply', async () => {
    const [a, b] = federation.servers
    if (a === undefined || b === undefined) throw new Error('need two servers')
    const alice = await cryptoClient(
      a.server.baseUrl,
      await registerAccount(a.server.baseUrl, 'alice'),
    )
    clients.push(alice)
    const bobAccount = await registerAccount(b.server.baseUrl, 'bob')
    const bob = await cryptoClient(b.server.baseUrl, bobAccount)
    clients.push(bob)
    const aliceId = alice.getUserId() ?? ''
    const bobId = bob.getUserId() ?? ''

    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      name: 'Encrypted across servers',
      initial_state: [
        {
          type: 'm.room.encryption',
          state_key: '',
          content: { algorithm: 'm.megolm.v1.aes-sha2' },
        },
      ],
    })
    await bob.joinRoom(roomId, { viaServers: [a.serverName] })
    await eventually(
      () => bob.getRoom(roomId)?.getMyMembership() === 'join',
      'Bob’s join at his own server',
    )
    await eventually(
      () => alice.getRoom(roomId)?.getMember(bobId)?.membership === 'join',
      'Bob’s join at A',
    )

    const forBob = 'a sentence from A that only the two clients ever read'
    const started = Date.now()
    const { event_id: fromAlice } = await alice.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: forBob,
    })
    expect(await receive(bob, roomId, fromAlice, 'Alice’s message at B')).toMatchObject({
      msgtype: 'm.text',
      body: forBob,
    })
    console.warn(`A to B: sent and decrypted in ${Date.now() - started} ms`)
    // What B stored and served is ciphertext.
    const raw = findEvent(bob, roomId, fromAlice)
    expect(raw?.getWireType()).toBe('m.room.encrypted')
    expect(JSON.stringify(raw?.getWireContent())).not.toContain(forBob)

    const forAlice = 'and a reply from B, just as private'
    const { event_id: fromBob } = await bob.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: forAlice,
    })
    expect(await receive(alice, roomId, fromBob, 'Bob’s reply at A')).toMatchObject({
      msgtype: 'm.text',
      body: forAlice,
    })
    expect(findEvent(alice, roomId, fromBob)?.getSender()).toBe(bobId)
    expect(findEvent(bob, roomId, fromAlice)?.getSender()).toBe(aliceId)

    // A new device of Bob's reaches Alice's client through an m.device_list_update from B.
    const second = await cryptoClient(
      b.server.baseUrl,
      await login(b.server.baseUrl, bobAccount, 'BOBSECOND'),
    )
    clients.push(second)
    const crypto = alice.getCrypto()
    if (crypto === undefined) throw new Error('no crypto')
    const bobDevices = async (): Promise<string[]> => {
      const info = await crypto.getUserDeviceInfo([bobId])
      return [...(info.get(bobId)?.keys() ?? [])].sort()
    }
    await eventuallyAsync(
      async () => (await bobDevices()).includes('BOBSECOND'),
      'Bob’s new device at Alice’s client',
    )
    expect(await bobDevices()).toContain(bobAccount.deviceId)

    // Deleting it reaches her too (an m.device_list_update with `deleted`).
    second.stopClient()
    await deleteDevice(b.server.baseUrl, bobAccount, 'BOBSECOND')
    await eventuallyAsync(
      async () => !(await bobDevices()).includes('BOBSECOND'),
      'the deleted device gone from Alice’s client',
    )
    expect(await bobDevices()).toEqual([bobAccount.deviceId])

    // Alice's first cross-signing key reaches B as an m.signing_key_update: Bob's server lists
    // her among the users whose keys changed.
    const from = await syncToken(b.server.baseUrl, bobAccount)
    const master = Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '')
    const uploaded = await fetch(
      `${a.server.baseUrl}/_matrix/client/v3/keys/device_signing/upload`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.getAccessToken() ?? ''}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          master_key: {
            user_id: aliceId,
            usage: ['master'],
            keys: { [`ed25519:${master}`]: master },
          },
        }),
      },
    )
    expect(uploaded.status).toBe(200)
    await eventuallyAsync(async () => {
      const to = await syncToken(b.server.baseUrl, bobAccount)
      const query = new URLSearchParams({ from, to })
      const response = await fetch(
        `${b.server.baseUrl}/_matrix/client/v3/keys/changes?${query.toString()}`,
        { headers: { authorization: `Bearer ${bobAccount.accessToken}` } },
      )
      const body = (await response.json()) as { changed?: string[] }
      return body.changed?.includes(aliceId) === true
    }, 'Alice among the changed at B')

    // B goes down. A kept Bob's device list, so its clients still get his keys to encrypt for.
    second.stopClient()
    bob.stopClient()
    await b.server.kill()
    const queried = await fetch(`${a.server.baseUrl}/_matrix/client/v3/keys/query`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.getAccessToken() ?? ''}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ device_keys: { [bobId]: [] }, timeout: 2000 }),
    })
    expect(queried.status).toBe(200)
    const keys = (await queried.json()) as {
      device_keys: Record<string, Record<string, { keys?: Record<string, string> }>>
      failures: Record<string, unknown>
    }
    expect(Object.keys(keys.device_keys[bobId] ?? {})).toEqual([bobAccount.deviceId])
    expect(keys.device_keys[bobId]?.[bobAccount.deviceId]?.keys).toBeDefined()
    expect(keys.failures).toEqual({})
  }, 120_000)
})
