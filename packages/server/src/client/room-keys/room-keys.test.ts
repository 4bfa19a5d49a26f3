import { afterEach, describe, expect, it } from 'vitest'
import { FakeAuthenticate, type TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec, type SpecMethod } from '../../testing/openapi-spec.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { MAX_KEYS_PER_UPLOAD } from '../../key-backup/backup-requests.js'
import type { KeyBackupRouteServices } from './backup-versions.js'
import { roomKeysRoutes } from './room-keys-routes.js'

const V3 = '/_matrix/client/v3'
const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2'
const ROOM = '!room:example.org'
const OTHER_ROOM = '!other:example.org'

interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
}

function authData(publicKey = 'cHVibGljIGtleQ'): Record<string, unknown> {
  return {
    public_key: publicKey,
    signatures: { '@alice:example.org': { 'ed25519:DEV': 'c2lnbmF0dXJl' } },
  }
}

function keyData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_message_index: 0,
    forwarded_count: 0,
    is_verified: false,
    session_data: { ephemeral: 'ZXBo', ciphertext: 'Y2lwaGVy', mac: 'bWFj' },
    ...overrides,
  }
}

/** The spec path of a request path, for expectMatchesSpec. */
function specPath(path: string): string {
  const bare = path.split('?')[0] ?? path
  return bare
    .replace(
      /^\/_matrix\/client\/v3\/room_keys\/version\/[^/]+$/,
      `${V3}/room_keys/version/{version}`,
    )
    .replace(
      /^\/_matrix\/client\/v3\/room_keys\/keys\/[^/]+\/[^/]+$/,
      `${V3}/room_keys/keys/{roomId}/{sessionId}`,
    )
    .replace(/^\/_matrix\/client\/v3\/room_keys\/keys\/[^/]+$/, `${V3}/room_keys/keys/{roomId}`)
}

const enc = encodeURIComponent

/** The error statuses key_backup.yaml gives each endpoint (429 aside). */
const SPEC_ERRORS: Readonly<Record<string, readonly number[]>> = {
  [`GET ${V3}/room_keys/version`]: [404],
  [`GET ${V3}/room_keys/version/{version}`]: [404],
  [`PUT ${V3}/room_keys/version/{version}`]: [400, 404],
  [`DELETE ${V3}/room_keys/version/{version}`]: [404],
  [`PUT ${V3}/room_keys/keys/{roomId}/{sessionId}`]: [403],
  [`GET ${V3}/room_keys/keys/{roomId}/{sessionId}`]: [404],
  [`DELETE ${V3}/room_keys/keys/{roomId}/{sessionId}`]: [404],
  [`PUT ${V3}/room_keys/keys/{roomId}`]: [403, 404],
  [`GET ${V3}/room_keys/keys/{roomId}`]: [404],
  [`DELETE ${V3}/room_keys/keys/{roomId}`]: [404],
  [`PUT ${V3}/room_keys/keys`]: [403, 404],
  [`GET ${V3}/room_keys/keys`]: [404],
  [`DELETE ${V3}/room_keys/keys`]: [404],
}

for (const kind of roomTestStorages()) {
  describe(`room key backups on ${kind.name}`, () => {
    const open = useRoomStorage(kind)
    const servers: TestServer[] = []
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()))
    })

    async function start(maxBodySize = 1024 * 1024): Promise<{
      user(name: string, isGuest?: boolean): Promise<TestUser>
      call(
        method: SpecMethod,
        path: string,
        user: TestUser | undefined,
        body?: unknown,
      ): Promise<Reply>
      raw(method: SpecMethod, path: string, user: TestUser, body: string): Promise<Reply>
    }> {
      const storage = await open()
      const users = new FakeAuthenticate(storage)
      const services: KeyBackupRouteServices = { storage }
      const server = await startTestServer({
        routes: [...roomKeysRoutes],
        services,
        authenticate: users.authenticate,
        maxBodySize,
      })
      servers.push(server)
      const raw = async (
        method: SpecMethod,
        path: string,
        user: TestUser | undefined,
        body: string | undefined,
      ): Promise<Reply> => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (user !== undefined) headers['authorization'] = `Bearer ${user.accessToken}`
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
        })
        return { status: response.status, body: (await response.json()) as Record<string, unknown> }
      }
      return {
        user: (name, isGuest = false) => users.user(name, { isGuest }),
        async call(method, path, user, body) {
          const reply = await raw(
            method,
            path,
            user,
            body === undefined ? undefined : JSON.stringify(body),
          )
          // Every answer the spec describes must look as it says; r0 and paths it does not
          // describe (a missing query parameter's 400) are left to the assertions.
          if (path.startsWith(V3) && (reply.status === 200 || specified(method, path, reply))) {
            expectMatchesSpec(
              'client-server',
              'key_backup.yaml',
              method,
              specPath(path),
              reply.status,
              reply.body,
            )
          }
          return reply
        },
        raw: (method, path, user, body) => raw(method, path, user, body),
      }
    }

    /** Whether key_backup.yaml describes this error status for the endpoint. */
    function specified(method: SpecMethod, path: string, reply: Reply): boolean {
      return SPEC_ERRORS[`${method} ${specPath(path)}`]?.includes(reply.status) ?? false
    }

    async function createBackup(
      t: Awaited<ReturnType<typeof start>>,
      user: TestUser,
      publicKey?: string,
    ): Promise<string> {
      const reply = await t.call('POST', `${V3}/room_keys/version`, user, {
        algorithm: ALGORITHM,
        auth_data: authData(publicKey),
      })
      expect(reply.status).toBe(200)
      const version = reply.body['version']
      if (typeof version !== 'string') throw new Error('no version')
      return version
    }

    it('creates, reads, updates and deletes backup versions', async () => {
      const t = await start()
      const alice = await t.user('alice')
      expect(await t.call('GET', `${V3}/room_keys/version`, alice)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      })
      const first = await createBackup(t, alice)
      const current = await t.call('GET', `${V3}/room_keys/version`, alice)
      expect(current).toEqual({
        status: 200,
        body: {
          version: first,
          algorithm: ALGORITHM,
          auth_data: authData(),
          count: 0,
          etag: expect.stringMatching(/./) as string,
        },
      })
      expect(await t.call('GET', `${V3}/room_keys/version/${first}`, alice)).toEqual(current)
      // r0 serves the same.
      expect(await t.call('GET', `/_matrix/client/r0/room_keys/version/${first}`, alice)).toEqual(
        current,
      )

      const second = await createBackup(t, alice, 'bmV3')
      expect(Number(second)).toBeGreaterThan(Number(first))
      expect((await t.call('GET', `${V3}/room_keys/version`, alice)).body['version']).toBe(second)

      // Only auth_data changes; `version` in the body may repeat the path's.
      const update = await t.call('PUT', `${V3}/room_keys/version/${second}`, alice, {
        algorithm: ALGORITHM,
        auth_data: authData('dXBkYXRlZA'),
        version: second,
      })
      expect(update).toEqual({ status: 200, body: {} })
      expect((await t.call('GET', `${V3}/room_keys/version/${second}`, alice)).body).toMatchObject({
        version: second,
        algorithm: ALGORITHM,
        auth_data: authData('dXBkYXRlZA'),
      })
      expect(
        await t.call('PUT', `${V3}/room_keys/version/${second}`, alice, {
          algorithm: ALGORITHM,
          auth_data: authData(),
          version: first,
        }),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      expect(
        await t.call('PUT', `${V3}/room_keys/version/${second}`, alice, {
          algorithm: 'org.example.other',
          auth_data: authData(),
        }),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      expect(
        await t.call('PUT', `${V3}/room_keys/version/999`, alice, {
          algorithm: ALGORITHM,
          auth_data: authData(),
        }),
      ).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })

      // Deleting the current version makes the one before it current; deleting twice is fine.
      expect(await t.call('DELETE', `${V3}/room_keys/version/${second}`, alice)).toEqual({
        status: 200,
        body: {},
      })
      expect(await t.call('DELETE', `${V3}/room_keys/version/${second}`, alice)).toEqual({
        status: 200,
        body: {},
      })
      expect(await t.call('GET', `${V3}/room_keys/version/${second}`, alice)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      })
      expect((await t.call('GET', `${V3}/room_keys/version`, alice)).body['version']).toBe(first)
      for (const unknown of ['999', 'abc']) {
        expect(await t.call('DELETE', `${V3}/room_keys/version/${unknown}`, alice)).toMatchObject({
          status: 404,
          body: { errcode: 'M_NOT_FOUND' },
        })
      }
      await t.call('DELETE', `${V3}/room_keys/version/${first}`, alice)
      expect((await t.call('GET', `${V3}/room_keys/version`, alice)).status).toBe(404)
    })

    it('stores, reads and deletes keys at every level, with etag and count', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const version = await createBackup(t, alice)
      const q = `?version=${version}`
      const empty = await t.call('GET', `${V3}/room_keys/keys${q}`, alice)
      expect(empty).toEqual({ status: 200, body: { rooms: {} } })
      expect(await t.call('GET', `${V3}/room_keys/keys/${enc(ROOM)}${q}`, alice)).toEqual({
        status: 200,
        body: { sessions: {} },
      })
      const startEtag = (await t.call('GET', `${V3}/room_keys/version`, alice)).body['etag']

      const one = await t.call(
        'PUT',
        `${V3}/room_keys/keys/${enc(ROOM)}/s1${q}`,
        alice,
        keyData({ first_message_index: 3 }),
      )
      expect(one.status).toBe(200)
      expect(one.body['count']).toBe(1)
      expect(one.body['etag']).not.toBe(startEtag)

      const room = await t.call('PUT', `${V3}/room_keys/keys/${enc(ROOM)}${q}`, alice, {
        sessions: { s2: keyData(), s3: keyData({ is_verified: true }) },
      })
      expect(room.body).toMatchObject({ count: 3 })
      expect(room.body['etag']).not.toBe(one.body['etag'])

      const all = await t.call('PUT', `${V3}/room_keys/keys${q}`, alice, {
        rooms: { [OTHER_ROOM]: { sessions: { o1: keyData({ forwarded_count: 2 }) } } },
      })
      expect(all.body).toMatchObject({ count: 4 })

      expect(await t.call('GET', `${V3}/room_keys/keys${q}`, alice)).toEqual({
        status: 200,
        body: {
          rooms: {
            [ROOM]: {
              sessions: {
                s1: keyData({ first_message_index: 3 }),
                s2: keyData(),
                s3: keyData({ is_verified: true }),
              },
            },
            [OTHER_ROOM]: { sessions: { o1: keyData({ forwarded_count: 2 }) } },
          },
        },
      })
      expect(await t.call('GET', `${V3}/room_keys/keys/${enc(OTHER_ROOM)}${q}`, alice)).toEqual({
        status: 200,
        body: { sessions: { o1: keyData({ forwarded_count: 2 }) } },
      })
      expect(await t.call('GET', `${V3}/room_keys/keys/${enc(ROOM)}/s3${q}`, alice)).toEqual({
        status: 200,
        body: keyData({ is_verified: true }),
      })
      expect(
        await t.call('GET', `${V3}/room_keys/keys/${enc(ROOM)}/nope${q}`, alice),
      ).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const info = await t.call('GET', `${V3}/room_keys/version/${version}`, alice)
      expect(info.body).toMatchObject({ count: 4, etag: all.body['etag'] })

      const deleted = await t.call('DELETE', `${V3}/room_keys/keys/${enc(ROOM)}/s1${q}`, alice)
      expect(deleted.body).toMatchObject({ count: 3 })
      expect(deleted.body['etag']).not.toBe(all.body['etag'])
      const again = await t.call('DELETE', `${V3}/room_keys/keys/${enc(ROOM)}/s1${q}`, alice)
      expect(again).toEqual(deleted)
      expect(
        (await t.call('DELETE', `${V3}/room_keys/keys/${enc(ROOM)}${q}`, alice)).body,
      ).toMatchObject({ count: 1 })
      expect((await t.call('DELETE', `${V3}/room_keys/keys${q}`, alice)).body).toMatchObject({
        count: 0,
      })
      expect(await t.call('GET', `${V3}/room_keys/keys${q}`, alice)).toEqual({
        status: 200,
        body: { rooms: {} },
      })
    })

    it('keeps the better of two keys for a session, as the spec ranks them', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const version = await createBackup(t, alice)
      const path = `${V3}/room_keys/keys/${enc(ROOM)}/s?version=${version}`
      const stored = async (): Promise<Record<string, unknown>> =>
        (await t.call('GET', path, alice)).body
      const first = await t.call('PUT', path, alice, keyData({ first_message_index: 5 }))
      // A later first message is worse: kept as it was, and the etag does not move.
      const worse = await t.call(
        'PUT',
        path,
        alice,
        keyData({ first_message_index: 6, session_data: { ciphertext: 'worse' } }),
      )
      expect(worse.body).toEqual(first.body)
      expect(await stored()).toEqual(keyData({ first_message_index: 5 }))
      // An earlier one is better.
      await t.call('PUT', path, alice, keyData({ first_message_index: 2, forwarded_count: 4 }))
      expect(await stored()).toMatchObject({ first_message_index: 2, forwarded_count: 4 })
      // Then fewer forwards.
      await t.call('PUT', path, alice, keyData({ first_message_index: 2, forwarded_count: 1 }))
      expect(await stored()).toMatchObject({ forwarded_count: 1 })
      // A verified key beats every unverified one, and is not displaced by one.
      await t.call('PUT', path, alice, keyData({ is_verified: true, first_message_index: 9 }))
      expect(await stored()).toMatchObject({ is_verified: true, first_message_index: 9 })
      await t.call('PUT', path, alice, keyData({ first_message_index: 0 }))
      expect(await stored()).toMatchObject({ is_verified: true, first_message_index: 9 })
    })

    it('stores keys in the current version only', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const body = { sessions: { s: keyData() } }
      const roomPath = (version: string): string =>
        `${V3}/room_keys/keys/${enc(ROOM)}?version=${version}`
      // Without a backup there is nothing to store keys in.
      expect(await t.call('PUT', roomPath('1'), alice, body)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      })
      const old = await createBackup(t, alice)
      const current = await createBackup(t, alice)
      for (const version of [old, '12345', 'not-a-version']) {
        expect(await t.call('PUT', roomPath(version), alice, body)).toEqual({
          status: 403,
          body: {
            errcode: 'M_WRONG_ROOM_KEYS_VERSION',
            error: expect.stringMatching(/./) as string,
            current_version: current,
          },
        })
      }
      expect(
        await t.call('PUT', `${V3}/room_keys/keys?version=${old}`, alice, {
          rooms: { [ROOM]: body },
        }),
      ).toMatchObject({ status: 403, body: { current_version: current } })
      expect(
        await t.call('PUT', `${V3}/room_keys/keys/${enc(ROOM)}/s?version=${old}`, alice, keyData()),
      ).toMatchObject({ status: 403, body: { current_version: current } })
      expect((await t.call('PUT', roomPath(current), alice, body)).status).toBe(200)
      // The older version can still be read and emptied.
      expect(await t.call('GET', `${V3}/room_keys/keys?version=${old}`, alice)).toEqual({
        status: 200,
        body: { rooms: {} },
      })
      expect((await t.call('DELETE', `${V3}/room_keys/keys?version=${old}`, alice)).status).toBe(
        200,
      )
      // A deleted version's keys are gone, and it takes no more.
      await t.call('DELETE', `${V3}/room_keys/version/${current}`, alice)
      expect(await t.call('GET', `${V3}/room_keys/keys?version=${current}`, alice)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      })
      expect(await t.call('PUT', roomPath(current), alice, body)).toMatchObject({
        status: 403,
        body: { current_version: old },
      })
    })

    it('needs the version query parameter, and a version that exists', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const version = await createBackup(t, alice)
      const paths = [
        `${V3}/room_keys/keys`,
        `${V3}/room_keys/keys/${enc(ROOM)}`,
        `${V3}/room_keys/keys/${enc(ROOM)}/s`,
      ]
      const bodies = [{ rooms: {} }, { sessions: {} }, keyData()]
      for (const [i, path] of paths.entries()) {
        for (const method of ['GET', 'PUT', 'DELETE'] as const) {
          const body = method === 'PUT' ? bodies[i] : undefined
          expect(await t.call(method, path, alice, body)).toMatchObject({
            status: 400,
            body: { errcode: 'M_MISSING_PARAM' },
          })
        }
        for (const method of ['GET', 'DELETE'] as const) {
          expect(await t.call(method, `${path}?version=${version}9`, alice)).toMatchObject({
            status: 404,
            body: { errcode: 'M_NOT_FOUND' },
          })
        }
      }
    })

    it('shows a user only their own backups', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const version = await createBackup(t, alice)
      const q = `?version=${version}`
      await t.call('PUT', `${V3}/room_keys/keys/${enc(ROOM)}/s${q}`, alice, keyData())
      expect((await t.call('GET', `${V3}/room_keys/version`, bob)).status).toBe(404)
      expect((await t.call('GET', `${V3}/room_keys/version/${version}`, bob)).status).toBe(404)
      expect((await t.call('GET', `${V3}/room_keys/keys${q}`, bob)).status).toBe(404)
      expect((await t.call('DELETE', `${V3}/room_keys/keys${q}`, bob)).status).toBe(404)
      expect((await t.call('DELETE', `${V3}/room_keys/version/${version}`, bob)).status).toBe(404)
      expect(
        (
          await t.call('PUT', `${V3}/room_keys/version/${version}`, bob, {
            algorithm: ALGORITHM,
            auth_data: authData('Ym9i'),
          })
        ).status,
      ).toBe(404)
      expect(
        (await t.call('PUT', `${V3}/room_keys/keys/${enc(ROOM)}/s${q}`, bob, keyData())).status,
      ).toBe(404)
      // Bob's own backup is numbered on its own, and holds nothing of alice's.
      const bobs = await createBackup(t, bob)
      expect(await t.call('GET', `${V3}/room_keys/keys?version=${bobs}`, bob)).toEqual({
        status: 200,
        body: { rooms: {} },
      })
      expect((await t.call('GET', `${V3}/room_keys/version`, alice)).body).toMatchObject({
        version,
        count: 1,
        auth_data: authData(),
      })
    })

    it('refuses bad bodies with the matching error, and stores nothing of them', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const create = `${V3}/room_keys/version`
      const cases: [unknown, string][] = [
        [{ auth_data: authData() }, 'M_MISSING_PARAM'],
        [{ algorithm: ALGORITHM }, 'M_MISSING_PARAM'],
        [{ algorithm: 7, auth_data: authData() }, 'M_BAD_JSON'],
        [{ algorithm: ALGORITHM, auth_data: 'data' }, 'M_BAD_JSON'],
        [{ algorithm: ALGORITHM, auth_data: [] }, 'M_BAD_JSON'],
        [{ algorithm: ALGORITHM, auth_data: {} }, 'M_MISSING_PARAM'],
        [{ algorithm: ALGORITHM, auth_data: { public_key: 1 } }, 'M_BAD_JSON'],
        [{ algorithm: ALGORITHM, auth_data: { public_key: '' } }, 'M_INVALID_PARAM'],
        [{ algorithm: ALGORITHM, auth_data: { public_key: 'k', signatures: 1 } }, 'M_BAD_JSON'],
        [{ algorithm: 'org.example.unknown', auth_data: authData() }, 'M_INVALID_PARAM'],
      ]
      for (const [body, errcode] of cases) {
        expect(await t.call('POST', create, alice, body)).toMatchObject({
          status: 400,
          body: { errcode },
        })
      }
      expect(await t.raw('POST', create, alice, '{"algorithm":')).toMatchObject({
        status: 400,
        body: { errcode: 'M_NOT_JSON' },
      })
      expect(await t.raw('POST', create, alice, '[1]')).toMatchObject({ status: 400 })
      expect((await t.call('GET', create, alice)).status).toBe(404)

      const version = await createBackup(t, alice)
      const q = `?version=${version}`
      await t.call('PUT', `${V3}/room_keys/keys/${enc(ROOM)}/kept${q}`, alice, keyData())
      const before = await t.call('GET', `${V3}/room_keys/version`, alice)
      const keyCases: [Record<string, unknown>, string][] = [
        [{ first_message_index: -1 }, 'M_INVALID_PARAM'],
        [{ first_message_index: 1.5 }, 'M_BAD_JSON'],
        [{ forwarded_count: '1' }, 'M_BAD_JSON'],
        [{ is_verified: 'yes' }, 'M_BAD_JSON'],
        [{ is_verified: undefined }, 'M_MISSING_PARAM'],
        [{ session_data: 'opaque' }, 'M_BAD_JSON'],
        [{ session_data: undefined }, 'M_MISSING_PARAM'],
      ]
      for (const [overrides, errcode] of keyCases) {
        const bad = keyData(overrides)
        for (const [path, body] of [
          [`${V3}/room_keys/keys/${enc(ROOM)}/bad${q}`, bad],
          [`${V3}/room_keys/keys/${enc(ROOM)}${q}`, { sessions: { good: keyData(), bad } }],
          [
            `${V3}/room_keys/keys${q}`,
            {
              rooms: {
                [OTHER_ROOM]: { sessions: { good: keyData() } },
                [ROOM]: { sessions: { bad } },
              },
            },
          ],
        ] as const) {
          expect(await t.call('PUT', path, alice, body)).toMatchObject({
            status: 400,
            body: { errcode },
          })
        }
      }
      const shapeCases: [string, unknown, string][] = [
        [`${V3}/room_keys/keys${q}`, {}, 'M_MISSING_PARAM'],
        [`${V3}/room_keys/keys${q}`, { rooms: [] }, 'M_BAD_JSON'],
        [
          `${V3}/room_keys/keys${q}`,
          { rooms: { 'not-a-room': { sessions: {} } } },
          'M_INVALID_PARAM',
        ],
        [`${V3}/room_keys/keys${q}`, { rooms: { [ROOM]: 1 } }, 'M_BAD_JSON'],
        [`${V3}/room_keys/keys${q}`, { rooms: { [ROOM]: {} } }, 'M_MISSING_PARAM'],
        [`${V3}/room_keys/keys/${enc(ROOM)}${q}`, { sessions: null }, 'M_BAD_JSON'],
        [`${V3}/room_keys/keys/${enc(ROOM)}${q}`, { sessions: { s: 1 } }, 'M_BAD_JSON'],
        [
          `${V3}/room_keys/keys/${enc(ROOM)}${q}`,
          { sessions: { '': keyData() } },
          'M_INVALID_PARAM',
        ],
        [
          `${V3}/room_keys/keys/${enc(ROOM)}${q}`,
          { sessions: { ['x'.repeat(256)]: keyData() } },
          'M_INVALID_PARAM',
        ],
        [
          `${V3}/room_keys/keys/${enc(ROOM)}${q}`,
          { sessions: { 'nul\u0000id': keyData() } },
          'M_INVALID_PARAM',
        ],
        [`${V3}/room_keys/keys/${enc(ROOM)}/nul%00id${q}`, keyData(), 'M_INVALID_PARAM'],
        [`${V3}/room_keys/keys/not-a-room${q}`, { sessions: {} }, 'M_INVALID_PARAM'],
        [`${V3}/room_keys/keys/not-a-room/s${q}`, keyData(), 'M_INVALID_PARAM'],
        [`${V3}/room_keys/keys/${enc(ROOM)}/${'y'.repeat(256)}${q}`, keyData(), 'M_INVALID_PARAM'],
      ]
      for (const [path, body, errcode] of shapeCases) {
        expect(await t.call('PUT', path, alice, body)).toMatchObject({
          status: 400,
          body: { errcode },
        })
      }
      expect(await t.raw('PUT', `${V3}/room_keys/keys${q}`, alice, '{"rooms"')).toMatchObject({
        status: 400,
        body: { errcode: 'M_NOT_JSON' },
      })
      // None of it stored a key, or moved the etag.
      expect(await t.call('GET', `${V3}/room_keys/version`, alice)).toEqual(before)
      expect(await t.call('GET', `${V3}/room_keys/keys${q}`, alice)).toEqual({
        status: 200,
        body: { rooms: { [ROOM]: { sessions: { kept: keyData() } } } },
      })
    })

    it('keeps session IDs that name members of plain objects', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const version = await createBackup(t, alice)
      const q = `?version=${version}`
      // Written as text: an object literal's __proto__ would set the prototype, not a member.
      const key = JSON.stringify(keyData())
      const put = await t.raw(
        'PUT',
        `${V3}/room_keys/keys/${enc(ROOM)}${q}`,
        alice,
        `{"sessions": {"__proto__": ${key}, "__proto__2": ${key}}}`,
      )
      expect(put).toMatchObject({ status: 200, body: { count: 2 } })
      const room = await t.call('GET', `${V3}/room_keys/keys/${enc(ROOM)}${q}`, alice)
      expect(Object.keys(room.body['sessions'] as object).sort()).toEqual([
        '__proto__',
        '__proto__2',
      ])
      expect(await t.call('GET', `${V3}/room_keys/keys/__proto__${q}`, alice)).toMatchObject({
        status: 400,
      })
      expect(await t.call('GET', `${V3}/room_keys/keys/${enc(ROOM)}/__proto__${q}`, alice)).toEqual(
        { status: 200, body: keyData() },
      )
    })

    it(`takes at most ${String(MAX_KEYS_PER_UPLOAD)} keys in one upload`, async () => {
      const t = await start(8 * 1024 * 1024)
      const alice = await t.user('alice')
      const version = await createBackup(t, alice)
      const sessions = (n: number): Record<string, unknown> =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${String(i)}`, keyData()]))
      const path = `${V3}/room_keys/keys/${enc(ROOM)}?version=${version}`
      expect(
        await t.call('PUT', path, alice, { sessions: sessions(MAX_KEYS_PER_UPLOAD + 1) }),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      expect((await t.call('GET', `${V3}/room_keys/version`, alice)).body['count']).toBe(0)
      const full = await t.call('PUT', path, alice, { sessions: sessions(MAX_KEYS_PER_UPLOAD) })
      expect(full).toMatchObject({ status: 200, body: { count: MAX_KEYS_PER_UPLOAD } })
    })

    it('keeps guests and requests without a token out', async () => {
      const t = await start()
      const guest = await t.user('guest', true)
      for (const [method, path] of [
        ['POST', `${V3}/room_keys/version`],
        ['GET', `${V3}/room_keys/version`],
        ['GET', `${V3}/room_keys/keys?version=1`],
        ['DELETE', `${V3}/room_keys/version/1`],
      ] as const) {
        const body = method === 'POST' ? { algorithm: ALGORITHM, auth_data: authData() } : undefined
        expect(await t.call(method, path, guest, body)).toMatchObject({
          status: 403,
          body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' },
        })
        expect(await t.call(method, path, undefined, body)).toMatchObject({
          status: 401,
          body: { errcode: 'M_MISSING_TOKEN' },
        })
      }
    })
  })
}
