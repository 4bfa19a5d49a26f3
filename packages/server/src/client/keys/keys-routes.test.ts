import {
  encodeBase64,
  generateSigningKey,
  jsonSignature,
  withSignature,
  type JsonObject,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { passwordAuth } from '../../testing/account-test-server.js'
import { expectMatchesSpec, type SpecMethod } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import {
  useRoomTestServer,
  type HttpReply,
  type RoomTestServer,
  type TestUser,
} from '../../testing/room-test-server.js'

const V3 = '/_matrix/client/v3'

/** An ed25519 key named by its public key, as cross-signing keys are. */
interface NamedKey {
  readonly key: SigningKey
  readonly publicKey: string
  readonly keyId: string
}

function newKey(): NamedKey {
  const key = generateSigningKey(crypto)
  const publicKey = encodeBase64(crypto.ed25519PublicKey(key.seed))
  return { key, publicKey, keyId: `ed25519:${publicKey}` }
}

function sign(
  value: JsonObject,
  userId: string,
  signer: NamedKey,
  keyId = signer.keyId,
): JsonObject {
  return withSignature(value, userId, keyId, jsonSignature(value, signer.key, crypto))
}

/** A device's identity keys, signed by its own ed25519 key. */
function deviceKeysFor(user: TestUser, deviceKey: NamedKey): JsonObject {
  const unsigned: JsonObject = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: {
      [`curve25519:${user.deviceId}`]: 'curve25519+public+key',
      [`ed25519:${user.deviceId}`]: deviceKey.publicKey,
    },
  }
  return sign(unsigned, user.userId, deviceKey, `ed25519:${user.deviceId}`)
}

function crossSigningKey(
  userId: UserId,
  usage: string,
  key: NamedKey,
  master?: NamedKey,
): JsonObject {
  const value: JsonObject = {
    user_id: userId,
    usage: [usage],
    keys: { [key.keyId]: key.publicKey },
  }
  return master === undefined ? value : sign(value, userId, master)
}

async function call(
  t: RoomTestServer,
  method: SpecMethod,
  path: string,
  user: TestUser | undefined,
  body?: unknown,
  spec?: { file: string; path: string },
): Promise<HttpReply & { body: Record<string, unknown> }> {
  const reply = await t.call(method, `${V3}${path}`, {
    ...(user === undefined ? {} : { user }),
    ...(body === undefined ? {} : { body }),
  })
  if (spec !== undefined) {
    expectMatchesSpec(
      'client-server',
      spec.file,
      method,
      `/_matrix/client/v3${spec.path}`,
      reply.status,
      reply.body,
    )
  }
  return reply as HttpReply & { body: Record<string, unknown> }
}

for (const kind of roomTestStorages()) {
  describe(`key endpoints on ${kind.name}`, () => {
    const start = useRoomTestServer(kind)

    it('uploads device and one-time keys, and answers queries and claims as the spec says', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'ALICE1' })
      const bob = await t.users.user('bob', { deviceId: 'BOB1' })
      const aliceKey = newKey()
      const upload = await call(
        t,
        'POST',
        '/keys/upload',
        alice,
        {
          device_keys: deviceKeysFor(alice, aliceKey),
          one_time_keys: {
            'signed_curve25519:AAAAAQ': sign({ key: 'otk1' }, alice.userId, aliceKey),
            'signed_curve25519:AAAAAg': sign({ key: 'otk2' }, alice.userId, aliceKey),
          },
          fallback_keys: {
            'signed_curve25519:AAAAAw': sign({ key: 'fb', fallback: true }, alice.userId, aliceKey),
          },
        },
        { file: 'keys.yaml', path: '/keys/upload' },
      )
      expect(upload.status).toBe(200)
      expect(upload.body).toEqual({ one_time_key_counts: { signed_curve25519: 2 } })

      const query = await call(
        t,
        'POST',
        '/keys/query',
        bob,
        { device_keys: { [alice.userId]: [], '@nobody:example.org': [] }, timeout: 10_000 },
        { file: 'keys.yaml', path: '/keys/query' },
      )
      expect(query.status).toBe(200)
      const devices = (query.body['device_keys'] as Record<string, Record<string, JsonObject>>)[
        alice.userId
      ]
      expect(Object.keys(devices ?? {})).toEqual(['ALICE1'])
      expect(devices?.['ALICE1']?.['keys']).toEqual(deviceKeysFor(alice, aliceKey)['keys'])
      expect(query.body['failures']).toEqual({})

      // Remote users' servers are reported, not faked.
      const remote = await call(t, 'POST', '/keys/query', bob, {
        device_keys: { '@carol:elsewhere.example': [] },
      })
      expect(Object.keys(remote.body['failures'] as object)).toEqual(['elsewhere.example'])

      const claims = []
      for (let i = 0; i < 4; i++) {
        const claim = await call(
          t,
          'POST',
          '/keys/claim',
          bob,
          { one_time_keys: { [alice.userId]: { ALICE1: 'signed_curve25519' } } },
          { file: 'keys.yaml', path: '/keys/claim' },
        )
        expect(claim.status).toBe(200)
        const keys = (claim.body['one_time_keys'] as Record<string, Record<string, JsonObject>>)[
          alice.userId
        ]?.['ALICE1']
        claims.push(Object.keys(keys ?? {})[0])
      }
      // Each one-time key once, in upload order within no order; then the fallback key, again.
      expect(new Set(claims.slice(0, 2))).toEqual(
        new Set(['signed_curve25519:AAAAAQ', 'signed_curve25519:AAAAAg']),
      )
      expect(claims.slice(2)).toEqual(['signed_curve25519:AAAAAw', 'signed_curve25519:AAAAAw'])
    })

    it('refuses bad uploads with the right errors and stores nothing of them', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'ALICE1' })
      const bob = await t.users.user('bob', { deviceId: 'BOB1' })
      const key = newKey()
      const cases: [unknown, number, string][] = [
        [{ device_keys: deviceKeysFor(bob, key) }, 400, 'M_INVALID_PARAM'],
        [{ device_keys: 'keys' }, 400, 'M_BAD_JSON'],
        [{ device_keys: { user_id: alice.userId } }, 400, 'M_MISSING_PARAM'],
        [{ one_time_keys: { 'no-colon': 'k' } }, 400, 'M_INVALID_PARAM'],
        [{ one_time_keys: { 'signed_curve25519:A': 7 } }, 400, 'M_BAD_JSON'],
        [{ one_time_keys: [] }, 400, 'M_BAD_JSON'],
      ]
      for (const [body, status, errcode] of cases) {
        const reply = await call(t, 'POST', '/keys/upload', alice, body)
        expect([reply.status, reply.body['errcode']], JSON.stringify(body)).toEqual([
          status,
          errcode,
        ])
      }
      const ok = await call(t, 'POST', '/keys/upload', alice, {
        one_time_keys: { 'signed_curve25519:A': 'first' },
      })
      expect(ok.status).toBe(200)
      const clash = await call(t, 'POST', '/keys/upload', alice, {
        one_time_keys: { 'signed_curve25519:B': 'new', 'signed_curve25519:A': 'second' },
      })
      expect([clash.status, clash.body['errcode']]).toEqual([400, 'M_INVALID_PARAM'])
      const counts = await call(t, 'POST', '/keys/upload', alice, {})
      expect(counts.body).toEqual({ one_time_key_counts: { signed_curve25519: 1 } })
      const noAuth = await call(t, 'POST', '/keys/upload', undefined, {})
      expect([noAuth.status, noAuth.body['errcode']]).toEqual([401, 'M_MISSING_TOKEN'])
      const badQuery = await call(t, 'POST', '/keys/query', alice, {
        device_keys: { 'not a user': [] },
      })
      expect(badQuery.body['errcode']).toBe('M_INVALID_PARAM')
      const noClaim = await call(t, 'POST', '/keys/claim', alice, {})
      expect(noClaim.body['errcode']).toBe('M_MISSING_PARAM')
    })

    it('takes cross-signing keys, asks for a password only to replace them, and checks signatures', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'ALICE1' })
      const bob = await t.users.user('bob', { deviceId: 'BOB1' })
      const aliceDevice = newKey()
      await call(t, 'POST', '/keys/upload', alice, {
        device_keys: deviceKeysFor(alice, aliceDevice),
      })
      const master = newKey()
      const selfSigning = newKey()
      const userSigning = newKey()
      const keys = {
        master_key: crossSigningKey(alice.userId, 'master', master),
        self_signing_key: crossSigningKey(alice.userId, 'self_signing', selfSigning, master),
        user_signing_key: crossSigningKey(alice.userId, 'user_signing', userSigning, master),
      }
      const spec = { file: 'cross_signing.yaml', path: '/keys/device_signing/upload' }
      const forged = await call(t, 'POST', '/keys/device_signing/upload', alice, {
        ...keys,
        self_signing_key: crossSigningKey(alice.userId, 'self_signing', selfSigning, newKey()),
      })
      expect([forged.status, forged.body['errcode']]).toEqual([400, 'M_INVALID_SIGNATURE'])
      const first = await call(t, 'POST', '/keys/device_signing/upload', alice, keys, spec)
      expect(first.status).toBe(200)
      // The same keys again need no password (a retried request).
      const repeat = await call(t, 'POST', '/keys/device_signing/upload', alice, keys, spec)
      expect(repeat.status).toBe(200)

      // New keys do.
      const newMaster = newKey()
      const replacement = { master_key: crossSigningKey(alice.userId, 'master', newMaster) }
      const challenge = await call(t, 'POST', '/keys/device_signing/upload', alice, replacement)
      expect(challenge.status).toBe(401)
      expect(challenge.body['flows']).toEqual([{ stages: ['m.login.password'] }])
      const wrong = await call(t, 'POST', '/keys/device_signing/upload', alice, {
        ...replacement,
        auth: passwordAuth(alice.userId, 'wrong password', challenge.body['session']),
      })
      expect(wrong.status).toBe(401)
      const stillOld = await call(t, 'POST', '/keys/query', alice, {
        device_keys: { [alice.userId]: [] },
      })
      expect(stillOld.body['master_keys']).toEqual({ [alice.userId]: keys.master_key })

      // Alice signs her device with her self-signing key; Bob sees that signature.
      const device = deviceKeysFor(alice, aliceDevice)
      const signedDevice = sign(device, alice.userId, selfSigning)
      const sigs = await call(
        t,
        'POST',
        '/keys/signatures/upload',
        alice,
        { [alice.userId]: { ALICE1: signedDevice } },
        { file: 'cross_signing.yaml', path: '/keys/signatures/upload' },
      )
      expect(sigs.status).toBe(200)
      expect(sigs.body['failures']).toEqual({})

      // Bob's keys, and Alice's user-signing signature on his master key.
      const bobMaster = newKey()
      const bobKeys = {
        master_key: crossSigningKey(bob.userId, 'master', bobMaster),
        self_signing_key: crossSigningKey(bob.userId, 'self_signing', newKey(), bobMaster),
      }
      expect((await call(t, 'POST', '/keys/device_signing/upload', bob, bobKeys)).status).toBe(200)
      const onBob = await call(t, 'POST', '/keys/signatures/upload', alice, {
        [bob.userId]: {
          [bobMaster.publicKey]: sign(bobKeys.master_key, alice.userId, userSigning),
        },
      })
      expect(onBob.body['failures']).toEqual({})
      const forgedSig = await call(t, 'POST', '/keys/signatures/upload', alice, {
        [bob.userId]: {
          [bobMaster.publicKey]: sign(
            bobKeys.master_key,
            alice.userId,
            newKey(),
            userSigning.keyId,
          ),
        },
        [alice.userId]: { NOSUCHDEVICE: signedDevice },
      })
      const failures = forgedSig.body['failures'] as Record<string, Record<string, JsonObject>>
      expect(failures[bob.userId]?.[bobMaster.publicKey]?.['errcode']).toBe('M_INVALID_SIGNATURE')
      expect(failures[alice.userId]?.['NOSUCHDEVICE']?.['errcode']).toBe('M_NOT_FOUND')

      const seenByBob = await call(
        t,
        'POST',
        '/keys/query',
        bob,
        { device_keys: { [alice.userId]: [], [bob.userId]: [] } },
        { file: 'keys.yaml', path: '/keys/query' },
      )
      const aliceDevices = seenByBob.body['device_keys'] as Record<
        string,
        Record<string, JsonObject>
      >
      const deviceSigs = aliceDevices[alice.userId]?.['ALICE1']?.['signatures'] as Record<
        string,
        JsonObject
      >
      expect(Object.keys(deviceSigs[alice.userId] ?? {}).sort()).toEqual(
        ['ed25519:ALICE1', selfSigning.keyId].sort(),
      )
      // Signatures by a user-signing key are seen by their signer alone (§Key and signature
      // security): not by Bob, whose master key it signed.
      const masters = seenByBob.body['master_keys'] as Record<string, JsonObject>
      expect(masters[bob.userId]).toEqual(bobKeys.master_key)
      expect(seenByBob.body['user_signing_keys']).toEqual({})
      const seenByAlice = await call(t, 'POST', '/keys/query', alice, {
        device_keys: { [bob.userId]: [], [alice.userId]: [] },
      })
      const bobMasterForAlice = (seenByAlice.body['master_keys'] as Record<string, JsonObject>)[
        bob.userId
      ]
      const bobMasterSigs = bobMasterForAlice?.['signatures'] as Record<string, JsonObject>
      expect(Object.keys(bobMasterSigs[alice.userId] ?? {})).toEqual([userSigning.keyId])
      expect(seenByAlice.body['user_signing_keys']).toEqual({
        [alice.userId]: keys.user_signing_key,
      })
      const seenByCarol = await call(t, 'POST', '/keys/query', await t.users.user('carol'), {
        device_keys: { [bob.userId]: [] },
      })
      expect((seenByCarol.body['master_keys'] as Record<string, JsonObject>)[bob.userId]).toEqual(
        bobKeys.master_key,
      )

      // With the password, the master key is replaced.
      const passed = await call(t, 'POST', '/keys/device_signing/upload', alice, {
        ...replacement,
        auth: passwordAuth(alice.userId, 'password of alice', challenge.body['session']),
      })
      expect(passed.status).toBe(200)
      const replaced = await call(t, 'POST', '/keys/query', alice, {
        device_keys: { [alice.userId]: [] },
      })
      expect(replaced.body['master_keys']).toEqual({ [alice.userId]: replacement.master_key })
    })

    it('reports device list changes of users in shared rooms through /keys/changes', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'ALICE1' })
      const bob = await t.users.user('bob', { deviceId: 'BOB1' })
      const created = await call(t, 'POST', '/createRoom', alice, { preset: 'public_chat' })
      const roomId = created.body['room_id'] as string
      const from = (await t.storage.streams.currentPosition()).toString()
      await call(t, 'POST', `/join/${encodeURIComponent(roomId)}`, bob, {})
      await call(t, 'POST', '/keys/upload', bob, { device_keys: deviceKeysFor(bob, newKey()) })
      const to = (await t.storage.streams.currentPosition()).toString()
      const changes = await call(
        t,
        'GET',
        `/keys/changes?from=t${from}&to=t${to}`,
        alice,
        undefined,
        { file: 'keys.yaml', path: '/keys/changes' },
      )
      expect(changes.status).toBe(200)
      expect(changes.body).toEqual({ changed: [bob.userId], left: [] })
      await call(t, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, bob, {})
      const later = (await t.storage.streams.currentPosition()).toString()
      const left = await call(t, 'GET', `/keys/changes?from=t${to}&to=t${later}`, alice)
      expect(left.body).toEqual({ changed: [], left: [bob.userId] })
      const missing = await call(t, 'GET', `/keys/changes?from=t${to}`, alice)
      expect(missing.body['errcode']).toBe('M_MISSING_PARAM')
      const bad = await call(t, 'GET', `/keys/changes?from=nonsense&to=t${to}`, alice)
      expect(bad.body['errcode']).toBe('M_INVALID_PARAM')
    })

    it('queues to-device messages once per transaction ID and checks their bodies', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'ALICE1' })
      const bob = await t.users.user('bob', { deviceId: 'BOB1' })
      const body = { messages: { [bob.userId]: { '*': { secret: 1 } } } }
      const spec = { file: 'to_device.yaml', path: '/sendToDevice/{eventType}/{txnId}' }
      const first = await call(t, 'PUT', '/sendToDevice/m.test/txn1', alice, body, spec)
      expect(first.status).toBe(200)
      expect(first.body).toEqual({})
      expect((await call(t, 'PUT', '/sendToDevice/m.test/txn1', alice, body)).status).toBe(200)
      const position = await t.storage.streams.currentPosition()
      const queued = await t.storage.toDevice.pending(bob.userId, 'BOB1', undefined, position, 10)
      expect(queued).toEqual([
        {
          streamPosition: expect.any(Number) as number,
          sender: alice.userId,
          type: 'm.test',
          content: { secret: 1 },
        },
      ])
      for (const bad of [
        {},
        { messages: [] },
        { messages: { [bob.userId]: { BOB1: 'text' } } },
        { messages: { nobody: {} } },
      ]) {
        const reply = await call(t, 'PUT', '/sendToDevice/m.test/txn2', alice, bad)
        expect(reply.status, JSON.stringify(bad)).toBe(400)
      }
    })
  })
}
