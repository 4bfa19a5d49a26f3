/**
 * End-to-end encryption through matrix-js-sdk with its Rust crypto (matrix-sdk-crypto-wasm under
 * Node): Alice and Bob, on their own devices, talk in an encrypted room; Bob's client decrypts
 * what Alice wrote while the server holds only ciphertext. Cross-signing is bootstrapped with a
 * password, a key backup made on one device is restored on a new one, and to-device messages
 * are delivered exactly once. Runs on SQLite and, when RHIZOME_TEST_POSTGRES is set, on
 * PostgreSQL.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EventType, MsgType, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { HomeserverProcess } from './harness/homeserver.js'
import {
  cryptoClient as openCryptoClient,
  decrypted,
  eventuallyAsync,
  findEvent,
  loginDevice,
} from './harness/crypto-clients.js'
import { clientFor, eventually, registerAccount, type Account } from './harness/matrix-clients.js'

interface Open {
  readonly client: MatrixClient
  readonly account: Account
}

/** A client with Rust crypto in memory, syncing, with its account. */
async function cryptoClient(server: HomeserverProcess, account: Account): Promise<Open> {
  return { client: await openCryptoClient(server.baseUrl, account), account }
}

const login = (server: HomeserverProcess, account: Account, deviceId: string): Promise<Account> =>
  loginDevice(server.baseUrl, account, deviceId)

async function rawSync(
  server: HomeserverProcess,
  account: Account,
  since?: string,
): Promise<{ next_batch: string; to_device?: { events: { type: string; content: unknown }[] } }> {
  const query = new URLSearchParams({ timeout: '0', ...(since === undefined ? {} : { since }) })
  const response = await fetch(`${server.baseUrl}/_matrix/client/v3/sync?${query.toString()}`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  })
  expect(response.status).toBe(200)
  return (await response.json()) as {
    next_batch: string
    to_device?: { events: { type: string; content: unknown }[] }
  }
}

for (const backend of BACKENDS) {
  describe(`end-to-end encryption on ${backend.name}`, () => {
    let server: HomeserverProcess
    let drop: () => Promise<void>
    const clients: MatrixClient[] = []
    const SECRET = 'the ciphertext-only server never reads this sentence'

    beforeAll(async () => {
      // The Rust crypto traces every step at debug level to the console.
      for (const level of ['debug', 'log', 'info'] as const) {
        vi.spyOn(console, level).mockImplementation(() => undefined)
      }
      const db = await backend.open()
      drop = db.drop
      server = await HomeserverProcess.start(
        db.database === undefined ? {} : { database: db.database },
      )
    }, 60_000)

    afterAll(async () => {
      vi.restoreAllMocks()
      for (const client of clients) client.stopClient()
      await server.destroy()
      await drop()
    })

    async function open(account: Account): Promise<Open> {
      const opened = await cryptoClient(server, account)
      clients.push(opened.client)
      return opened
    }

    it('lets Bob decrypt what Alice sends in an encrypted room, while the server holds ciphertext', async () => {
      const alice = await open(await registerAccount(server.baseUrl, 'alice'))
      const bob = await open(await registerAccount(server.baseUrl, 'bob'))
      const { room_id: roomId } = await alice.client.createRoom({
        invite: [bob.account.userId],
        initial_state: [
          {
            type: 'm.room.encryption',
            state_key: '',
            content: { algorithm: 'm.megolm.v1.aes-sha2' },
          },
        ],
      })
      await eventually(
        () => bob.client.getRoom(roomId)?.getMyMembership() === 'invite',
        'the invite',
      )
      await bob.client.joinRoom(roomId)
      await eventually(
        () => alice.client.getRoom(roomId)?.getMember(bob.account.userId)?.membership === 'join',
        'Bob to join in Alice’s view',
      )
      const { event_id: eventId } = await alice.client.sendMessage(roomId, {
        msgtype: MsgType.Text,
        body: SECRET,
      })
      await eventually(
        () => findEvent(bob.client, roomId, eventId) !== undefined,
        'the message at Bob',
      )
      const event = findEvent(bob.client, roomId, eventId)
      if (event === undefined) throw new Error('no event')
      expect(await decrypted(bob.client, event)).toMatchObject({ msgtype: 'm.text', body: SECRET })

      // The server's copy is an m.room.encrypted event whose content is ciphertext.
      const stored = await fetch(
        `${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
        { headers: { authorization: `Bearer ${bob.account.accessToken}` } },
      )
      const json = (await stored.json()) as { type: string; content: Record<string, unknown> }
      expect(json.type).toBe(EventType.RoomMessageEncrypted)
      expect(json.content['algorithm']).toBe('m.megolm.v1.aes-sha2')
      expect(typeof json.content['ciphertext']).toBe('string')
      expect(JSON.stringify(json)).not.toContain(SECRET)
      if (backend.name === 'sqlite') {
        // The database and its write-ahead log, byte for byte.
        for (const file of ['homeserver.db', 'homeserver.db-wal']) {
          const bytes = await readFile(join(server.dataDir, file)).catch(() => Buffer.alloc(0))
          expect(bytes.includes(Buffer.from(SECRET))).toBe(false)
        }
      }
    })

    it('bootstraps cross-signing with a password, and signs the device with it', async () => {
      const carol = await open(await registerAccount(server.baseUrl, 'carol'))
      const crypto = carol.client.getCrypto()
      if (crypto === undefined) throw new Error('no crypto')
      let asked = 0
      await crypto.bootstrapCrossSigning({
        authUploadDeviceSigningKeys: async (makeRequest) => {
          asked++
          await makeRequest({
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user: carol.account.userId },
            password: carol.account.password,
          })
        },
      })
      expect(asked).toBe(1)
      expect(await crypto.isCrossSigningReady()).toBe(true)
      const status = await crypto.getDeviceVerificationStatus(
        carol.account.userId,
        carol.account.deviceId,
      )
      expect(status?.crossSigningVerified).toBe(true)
      // Another user sees Carol's master and self-signing keys.
      const dave = await registerAccount(server.baseUrl, 'dave')
      const query = await fetch(`${server.baseUrl}/_matrix/client/v3/keys/query`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${dave.accessToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ device_keys: { [carol.account.userId]: [] } }),
      })
      const keys = (await query.json()) as Record<string, Record<string, unknown>>
      expect(Object.keys(keys['master_keys'] ?? {})).toEqual([carol.account.userId])
      expect(Object.keys(keys['self_signing_keys'] ?? {})).toEqual([carol.account.userId])
      expect(keys['user_signing_keys']).toEqual({})
    })

    it('tells a room member through sync when the other logs in on a new device', async () => {
      const erin = await registerAccount(server.baseUrl, 'erin')
      const frank = await registerAccount(server.baseUrl, 'frank')
      const erinClient = clientFor(server.baseUrl, erin)
      const { room_id: roomId } = await erinClient.createRoom({ preset: 'public_chat' as never })
      await clientFor(server.baseUrl, frank).joinRoom(roomId)
      const start = await rawSync(server, erin)
      // The new device's client uploads its keys as it starts.
      const newDevice = await open(await login(server, frank, 'FRANKNEW'))
      expect(newDevice.client.getDeviceId()).toBe('FRANKNEW')
      let changed: string[] = []
      await eventuallyAsync(async () => {
        const next = (await rawSync(server, erin, start.next_batch)) as {
          device_lists?: { changed?: string[] }
        }
        changed = next.device_lists?.changed ?? []
        return changed.includes(frank.userId)
      }, 'Frank in Erin’s device_lists.changed')
      expect(changed).toContain(frank.userId)
    })

    it('delivers a to-device message exactly once, even when sync is retried with the same since', async () => {
      const gina = await registerAccount(server.baseUrl, 'gina')
      const hal = await registerAccount(server.baseUrl, 'hal')
      const first = await rawSync(server, hal)
      const put = await fetch(
        `${server.baseUrl}/_matrix/client/v3/sendToDevice/m.test.ping/txn-1`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${gina.accessToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ messages: { [hal.userId]: { [hal.deviceId]: { n: 1 } } } }),
        },
      )
      expect(put.status).toBe(200)
      // Key counts come with every sync; Hal's device has uploaded no keys.
      expect(first).toMatchObject({
        device_one_time_keys_count: {},
        device_unused_fallback_key_types: [],
      })
      const delivered = await rawSync(server, hal, first.next_batch)
      expect(delivered.to_device?.events).toEqual([
        { sender: gina.userId, type: 'm.test.ping', content: { n: 1 } },
      ])
      // The response was lost: the same since gets the same message again.
      const retried = await rawSync(server, hal, first.next_batch)
      expect(retried.to_device?.events).toEqual(delivered.to_device?.events)
      // Syncing on from the new token acknowledges it: it is gone for good, even for a retry
      // from the old token after that.
      const after = await rawSync(server, hal, retried.next_batch)
      expect(after.to_device).toBeUndefined()
      const late = await rawSync(server, hal, first.next_batch)
      expect(late.to_device).toBeUndefined()
    })

    it('restores a key backup on a new device, which then decrypts an old message', async () => {
      const account = await registerAccount(server.baseUrl, 'ivy')
      const first = await open(account)
      const crypto = first.client.getCrypto()
      if (crypto === undefined) throw new Error('no crypto')
      await crypto.resetKeyBackup()
      const { room_id: roomId } = await first.client.createRoom({
        initial_state: [
          {
            type: 'm.room.encryption',
            state_key: '',
            content: { algorithm: 'm.megolm.v1.aes-sha2' },
          },
        ],
      })
      // The client encrypts only in rooms it knows to be encrypted: let sync bring the state.
      await eventuallyAsync(
        () => crypto.isEncryptionEnabledInRoom(roomId),
        'encryption enabled at the client',
      )
      const OLD = 'written before the new device existed'
      const { event_id: eventId } = await first.client.sendMessage(roomId, {
        msgtype: MsgType.Text,
        body: OLD,
      })
      // A session made after the backup was enabled is backed up on the client's next pass.
      await crypto.checkKeyBackupAndEnable()
      const versionReply = await fetch(`${server.baseUrl}/_matrix/client/v3/room_keys/version`, {
        headers: { authorization: `Bearer ${account.accessToken}` },
      })
      const { version } = (await versionReply.json()) as { version: string }
      // The client uploads its keys to the backup in the background, after a random delay.
      await eventuallyAsync(
        async () => {
          const keys = await fetch(
            `${server.baseUrl}/_matrix/client/v3/room_keys/keys?version=${version}`,
            { headers: { authorization: `Bearer ${account.accessToken}` } },
          )
          const body = (await keys.json()) as { rooms: Record<string, unknown> }
          return body.rooms[roomId] !== undefined
        },
        'the room key in the backup',
        25_000,
      )
      const backupKey = await crypto.getSessionBackupPrivateKey()
      if (backupKey === null) throw new Error('no backup key')
      // The first device goes away, so the keys can only come from the backup.
      first.client.stopClient()

      const second = await open(await login(server, account, 'IVYNEW'))
      await eventually(
        () => findEvent(second.client, roomId, eventId) !== undefined,
        'the old message on the new device',
      )
      const event = findEvent(second.client, roomId, eventId)
      if (event === undefined) throw new Error('no event')
      await second.client.decryptEventIfNeeded(event)
      expect(event.getClearContent()?.['body']).not.toBe(OLD)
      const secondCrypto = second.client.getCrypto()
      if (secondCrypto === undefined) throw new Error('no crypto')
      await secondCrypto.storeSessionBackupPrivateKey(backupKey, version)
      const restored = await secondCrypto.restoreKeyBackup()
      expect(restored.imported).toBeGreaterThan(0)
      await eventuallyAsync(async () => {
        await second.client.decryptEventIfNeeded(event, { isRetry: true })
        return event.getClearContent()?.['body'] === OLD
      }, 'the old message decrypted')
    }, 60_000)
  })
}
