/**
 * Server-side key backups over raw HTTP against the real server: the whole life of backup
 * versions and the keys in them, as a client's backup manager walks it (create, upload, restore,
 * a new backup replacing the old one, deletion), kept across a restart, and private to each user.
 * Runs on SQLite and, when RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { HomeserverProcess } from './harness/homeserver.js'
import { registerAccount, type Account } from './harness/matrix-clients.js'

const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2'
const ROOM = '!backup-room:example.org'
const OTHER_ROOM = '!other-room:example.org'

interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
}

function keyData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_message_index: 0,
    forwarded_count: 0,
    is_verified: false,
    session_data: { ephemeral: 'ZXBoZW1lcmFs', ciphertext: 'Y2lwaGVydGV4dA', mac: 'bWFj' },
    ...overrides,
  }
}

function authData(publicKey: string): Record<string, unknown> {
  return { public_key: publicKey, signatures: {} }
}

const enc = encodeURIComponent

describe.each(BACKENDS)('key backup API ($name)', (backend) => {
  let server: HomeserverProcess
  let drop: () => Promise<void>
  let alice: Account
  let bob: Account

  async function call(
    account: Account,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Reply> {
    const response = await fetch(`${server.baseUrl}/_matrix/client/v3${path}`, {
      method,
      headers: {
        authorization: `Bearer ${account.accessToken}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  beforeAll(async () => {
    const db = await backend.open()
    drop = db.drop
    server = await HomeserverProcess.start(
      db.database === undefined ? {} : { database: db.database },
    )
    alice = await registerAccount(server.baseUrl, 'alice')
    bob = await registerAccount(server.baseUrl, 'bob')
  }, 120_000)

  afterAll(async () => {
    await server.stop()
    await drop()
  })

  it('walks a backup from creation through uploads, a replacement backup and deletion', async () => {
    expect(await call(alice, 'GET', '/room_keys/version')).toMatchObject({
      status: 404,
      body: { errcode: 'M_NOT_FOUND' },
    })

    const created = await call(alice, 'POST', '/room_keys/version', {
      algorithm: ALGORITHM,
      auth_data: authData('Zmlyc3Q'),
    })
    expect(created.status).toBe(200)
    const first = created.body['version'] as string
    const fresh = await call(alice, 'GET', '/room_keys/version')
    expect(fresh).toEqual({
      status: 200,
      body: {
        version: first,
        algorithm: ALGORITHM,
        auth_data: authData('Zmlyc3Q'),
        count: 0,
        etag: expect.stringMatching(/./) as string,
      },
    })

    // Upload at each level; every change moves the etag.
    const q1 = `?version=${first}`
    const bulk = await call(alice, 'PUT', `/room_keys/keys${q1}`, {
      rooms: {
        [ROOM]: { sessions: { s1: keyData({ first_message_index: 4 }), s2: keyData() } },
        [OTHER_ROOM]: { sessions: { o1: keyData({ is_verified: true }) } },
      },
    })
    expect(bulk).toEqual({
      status: 200,
      body: { count: 3, etag: expect.stringMatching(/./) as string },
    })
    expect(bulk.body['etag']).not.toBe(fresh.body['etag'])
    const room = await call(alice, 'PUT', `/room_keys/keys/${enc(ROOM)}${q1}`, {
      sessions: { s3: keyData({ forwarded_count: 1 }) },
    })
    expect(room.body['count']).toBe(4)
    expect(room.body['etag']).not.toBe(bulk.body['etag'])
    // A worse key for s1 (a later first message) is not taken, and nothing changes.
    const worse = await call(
      alice,
      'PUT',
      `/room_keys/keys/${enc(ROOM)}/s1${q1}`,
      keyData({ first_message_index: 9 }),
    )
    expect(worse.body).toEqual(room.body)
    // A better one is.
    const better = await call(
      alice,
      'PUT',
      `/room_keys/keys/${enc(ROOM)}/s1${q1}`,
      keyData({ first_message_index: 1 }),
    )
    expect(better.body['count']).toBe(4)
    expect(better.body['etag']).not.toBe(room.body['etag'])

    // Restore, at each level.
    expect(await call(alice, 'GET', `/room_keys/keys${q1}`)).toEqual({
      status: 200,
      body: {
        rooms: {
          [ROOM]: {
            sessions: {
              s1: keyData({ first_message_index: 1 }),
              s2: keyData(),
              s3: keyData({ forwarded_count: 1 }),
            },
          },
          [OTHER_ROOM]: { sessions: { o1: keyData({ is_verified: true }) } },
        },
      },
    })
    expect(await call(alice, 'GET', `/room_keys/keys/${enc(OTHER_ROOM)}${q1}`)).toEqual({
      status: 200,
      body: { sessions: { o1: keyData({ is_verified: true }) } },
    })
    expect(await call(alice, 'GET', `/room_keys/keys/${enc(ROOM)}/s2${q1}`)).toEqual({
      status: 200,
      body: keyData(),
    })
    expect(await call(alice, 'GET', `/room_keys/keys/${enc(ROOM)}/missing${q1}`)).toMatchObject({
      status: 404,
      body: { errcode: 'M_NOT_FOUND' },
    })
    expect(await call(alice, 'GET', `/room_keys/keys/${enc('!empty:example.org')}${q1}`)).toEqual({
      status: 200,
      body: { sessions: {} },
    })
    expect(await call(alice, 'GET', `/room_keys/version/${first}`)).toMatchObject({
      status: 200,
      body: { version: first, count: 4, etag: better.body['etag'] },
    })

    // A new backup replaces the old as the current one; uploads to the old are refused.
    const second = (
      await call(alice, 'POST', '/room_keys/version', {
        algorithm: ALGORITHM,
        auth_data: authData('c2Vjb25k'),
      })
    ).body['version'] as string
    expect(Number(second)).toBeGreaterThan(Number(first))
    expect(
      await call(alice, 'PUT', `/room_keys/keys/${enc(ROOM)}/s9${q1}`, keyData()),
    ).toMatchObject({
      status: 403,
      body: { errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: second },
    })
    const q2 = `?version=${second}`
    expect(await call(alice, 'GET', `/room_keys/keys${q2}`)).toEqual({
      status: 200,
      body: { rooms: {} },
    })
    expect(
      (await call(alice, 'PUT', `/room_keys/keys/${enc(ROOM)}/n1${q2}`, keyData())).body,
    ).toMatchObject({ count: 1 })

    // Only auth_data of a version may change.
    expect(
      await call(alice, 'PUT', `/room_keys/version/${second}`, {
        algorithm: ALGORITHM,
        auth_data: authData('cmVzaWduZWQ'),
        version: second,
      }),
    ).toEqual({ status: 200, body: {} })
    expect((await call(alice, 'GET', '/room_keys/version')).body).toMatchObject({
      version: second,
      auth_data: authData('cmVzaWduZWQ'),
      count: 1,
    })
    expect(
      await call(alice, 'PUT', `/room_keys/version/${second}`, {
        algorithm: ALGORITHM,
        auth_data: authData('eA'),
        version: first,
      }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })

    // Deleting keys, by session, room and all.
    const one = await call(alice, 'DELETE', `/room_keys/keys/${enc(ROOM)}/s1${q1}`)
    expect(one.body).toMatchObject({ count: 3 })
    expect((await call(alice, 'DELETE', `/room_keys/keys/${enc(ROOM)}${q1}`)).body).toMatchObject({
      count: 1,
    })
    expect((await call(alice, 'DELETE', `/room_keys/keys${q1}`)).body).toMatchObject({ count: 0 })

    // Deleting the current backup: its keys go, the older one is current again.
    expect(await call(alice, 'DELETE', `/room_keys/version/${second}`)).toEqual({
      status: 200,
      body: {},
    })
    expect(await call(alice, 'DELETE', `/room_keys/version/${second}`)).toEqual({
      status: 200,
      body: {},
    })
    expect(await call(alice, 'GET', `/room_keys/keys${q2}`)).toMatchObject({
      status: 404,
      body: { errcode: 'M_NOT_FOUND' },
    })
    expect((await call(alice, 'GET', '/room_keys/version')).body['version']).toBe(first)
  })

  it('checks the version parameter and the bodies', async () => {
    expect(await call(alice, 'GET', '/room_keys/keys')).toMatchObject({
      status: 400,
      body: { errcode: 'M_MISSING_PARAM' },
    })
    expect(await call(alice, 'GET', '/room_keys/keys?version=424242')).toMatchObject({
      status: 404,
      body: { errcode: 'M_NOT_FOUND' },
    })
    const current = (await call(alice, 'GET', '/room_keys/version')).body
    const q = `?version=${String(current['version'])}`
    expect(
      await call(alice, 'PUT', `/room_keys/keys${q}`, {
        rooms: { [ROOM]: { sessions: { ok: keyData(), bad: keyData({ is_verified: 'no' }) } } },
      }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
    expect(
      await call(alice, 'POST', '/room_keys/version', {
        algorithm: 'org.example.not-a-backup-algorithm',
        auth_data: authData('eA'),
      }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    // Nothing of the refused upload was kept.
    expect((await call(alice, 'GET', '/room_keys/version')).body).toEqual(current)
    // The spec has no DELETE without a version.
    expect(await call(alice, 'DELETE', '/room_keys/version')).toMatchObject({
      body: { errcode: 'M_UNRECOGNIZED' },
    })
  })

  it("keeps each user's backups to that user", async () => {
    const aliceVersion = (await call(alice, 'GET', '/room_keys/version')).body['version'] as string
    await call(
      alice,
      'PUT',
      `/room_keys/keys/${enc(ROOM)}/private?version=${aliceVersion}`,
      keyData(),
    )
    expect((await call(bob, 'GET', '/room_keys/version')).status).toBe(404)
    expect((await call(bob, 'GET', `/room_keys/version/${aliceVersion}`)).status).toBe(404)
    expect((await call(bob, 'GET', `/room_keys/keys?version=${aliceVersion}`)).status).toBe(404)
    expect((await call(bob, 'DELETE', `/room_keys/version/${aliceVersion}`)).status).toBe(404)
    const bobVersion = (
      await call(bob, 'POST', '/room_keys/version', {
        algorithm: ALGORITHM,
        auth_data: authData('Ym9i'),
      })
    ).body['version'] as string
    expect(await call(bob, 'GET', `/room_keys/keys?version=${bobVersion}`)).toEqual({
      status: 200,
      body: { rooms: {} },
    })
    expect((await call(alice, 'GET', '/room_keys/version')).body['version']).toBe(aliceVersion)
  })

  it('keeps backups across a restart', async () => {
    const before = await call(alice, 'GET', '/room_keys/version')
    const version = before.body['version'] as string
    const keys = await call(alice, 'GET', `/room_keys/keys?version=${version}`)
    await server.stop()
    await server.launch()
    expect(await call(alice, 'GET', '/room_keys/version')).toEqual(before)
    expect(await call(alice, 'GET', `/room_keys/keys?version=${version}`)).toEqual(keys)
  }, 60_000)
})
