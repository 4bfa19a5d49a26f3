import { parseServerName, type JsonObject, type ServerName } from '@rhizome/core'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import {
  LoopbackRequester,
  startQueryServer,
  type QueryServer,
} from '../../testing/federation-query-servers.js'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { loginCredentials, registerWithDummyAuth } from '../../testing/http-test-client.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { must } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { parseMultipartMedia } from './media-multipart.js'

const ALPHA = must(parseServerName('alpha.example'))
const BETA = must(parseServerName('beta.example:8448'))
const FED = '/_matrix/federation/v1'
const V3 = '/_matrix/client/v3'

type Servers = QueryServer & { readonly requester: LoopbackRequester }

async function register(server: QueryServer, localpart: string): Promise<TestUser> {
  const reply = await registerWithDummyAuth(
    (body) => server.call('POST', `${V3}/register`, { body }),
    {
      username: localpart,
      password: `password of ${localpart}`,
      initial_device_display_name: `${localpart}'s phone`,
    },
  )
  const login = loginCredentials(reply, `register ${localpart}`)
  return {
    ...login,
    requester: { userId: login.userId, deviceId: login.deviceId, isGuest: false },
  }
}

/** A federation request to `to` as if from `from`, checked against the spec when it succeeds. */
async function federation(
  from: Servers,
  to: Servers,
  method: 'GET' | 'POST',
  path: string,
  options: {
    body?: JsonObject
    query?: Record<string, string>
    spec?: { file: string; path: string }
  } = {},
): Promise<{ status: number; body: JsonObject }> {
  const answer = await from.requester.request(to.serverName, method, path, options.body, {
    ...(options.query === undefined ? {} : { query: options.query }),
  })
  const status = answer.ok
    ? answer.value.status
    : answer.error.kind === 'http'
      ? answer.error.status
      : 0
  const body = (
    answer.ok ? answer.value.body : answer.error.kind === 'http' ? answer.error.body : null
  ) as JsonObject
  if (options.spec !== undefined) {
    expectMatchesSpec('server-server', options.spec.file, method, options.spec.path, status, body)
  }
  return { status, body }
}

function deviceKeys(user: TestUser): JsonObject {
  return {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: {
      [`curve25519:${user.deviceId}`]: 'curve25519+public+key',
      [`ed25519:${user.deviceId}`]: 'ed25519+public+key',
    },
    signatures: { [user.userId]: { [`ed25519:${user.deviceId}`]: 'signature' } },
  }
}

for (const kind of roomTestStorages()) {
  describe(`federation queries on ${kind.name}`, () => {
    const openAlpha = useRoomStorage(kind)
    const openBeta = useRoomStorage(kind)
    const started: QueryServer[] = []
    afterEach(async () => {
      await Promise.all(started.splice(0).map((s) => s.close()))
    })

    async function pair(
      options: { maxUploadSize?: number } = {},
    ): Promise<{ alpha: Servers; beta: Servers }> {
      const directory = new Map<ServerName, string>()
      const alpha = await startQueryServer(await openAlpha(), ALPHA, directory, options)
      started.push(alpha)
      const beta = await startQueryServer(await openBeta(), BETA, directory)
      started.push(beta)
      return { alpha, beta }
    }

    it('answers profile queries for its own users, whole or by field', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      await beta.call('PUT', `${V3}/profile/${bob.userId}/avatar_url`, {
        user: bob,
        body: { avatar_url: 'mxc://beta.example:8448/avatar' },
      })
      const spec = { file: 'query.yaml', path: `${FED}/query/profile` }
      const whole = await federation(alpha, beta, 'GET', `${FED}/query/profile`, {
        query: { user_id: bob.userId },
        spec,
      })
      expect(whole).toEqual({
        status: 200,
        body: { displayname: 'bob', avatar_url: 'mxc://beta.example:8448/avatar' },
      })
      const field = await federation(alpha, beta, 'GET', `${FED}/query/profile`, {
        query: { user_id: bob.userId, field: 'displayname' },
        spec,
      })
      expect(field.body).toEqual({ displayname: 'bob' })
      const unknownField = await federation(alpha, beta, 'GET', `${FED}/query/profile`, {
        query: { user_id: bob.userId, field: 'm.tz' },
      })
      expect(unknownField).toEqual({ status: 200, body: {} })
      for (const userId of ['@nobody:beta.example:8448', '@bob:alpha.example']) {
        const missing = await federation(alpha, beta, 'GET', `${FED}/query/profile`, {
          query: { user_id: userId },
        })
        expect(missing.status).toBe(404)
        expect(missing.body['errcode']).toBe('M_NOT_FOUND')
      }
      expect((await federation(alpha, beta, 'GET', `${FED}/query/profile`)).body['errcode']).toBe(
        'M_MISSING_PARAM',
      )
      expect(
        (
          await federation(alpha, beta, 'GET', `${FED}/query/profile`, {
            query: { user_id: 'bob' },
          })
        ).body['errcode'],
      ).toBe('M_INVALID_PARAM')
      // Without a server's authentication there is no answer.
      const anonymous = await fetch(
        `${beta.server.url}${FED}/query/profile?user_id=${encodeURIComponent(bob.userId)}`,
      )
      expect(anonymous.status).toBe(401)
    })

    it('lets a client read the profile of another server’s user', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      const alice = await register(alpha, 'alice')
      const profile = await alpha.call('GET', `${V3}/profile/${bob.userId}`, { user: alice })
      expect(profile).toEqual({ status: 200, body: { displayname: 'bob' } })
      expectMatchesSpec(
        'client-server',
        'profile.yaml',
        'GET',
        `${V3}/profile/{userId}`,
        200,
        profile.body,
      )
      const name = await alpha.call('GET', `${V3}/profile/${bob.userId}/displayname`, {
        user: alice,
      })
      expect(name).toEqual({ status: 200, body: { displayname: 'bob' } })
      const avatar = await alpha.call('GET', `${V3}/profile/${bob.userId}/avatar_url`, {
        user: alice,
      })
      expect(avatar.status).toBe(404)
      const nobody = await alpha.call('GET', `${V3}/profile/@nobody:${BETA}`, { user: alice })
      expect(nobody.status).toBe(404)
      expect((nobody.body as JsonObject)['errcode']).toBe('M_NOT_FOUND')
      // A server that cannot be reached is a gateway failure, not a missing user.
      const away = await alpha.call('GET', `${V3}/profile/@carol:gamma.example`, { user: alice })
      expect(away.status).toBe(502)
      expect(alpha.requester.calls.filter((c) => c.destination === BETA)).toHaveLength(4)
    })

    it('resolves its aliases for other servers and for clients of other servers', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      const created = await beta.call('POST', `${V3}/createRoom`, {
        user: bob,
        body: { room_alias_name: 'lobby' },
      })
      const roomId = (created.body as JsonObject)['room_id']
      const alias = `#lobby:${BETA}`
      const answer = await federation(alpha, beta, 'GET', `${FED}/query/directory`, {
        query: { room_alias: alias },
        spec: { file: 'query.yaml', path: `${FED}/query/directory` },
      })
      expect(answer).toEqual({ status: 200, body: { room_id: roomId, servers: [BETA] } })
      const missing = await federation(alpha, beta, 'GET', `${FED}/query/directory`, {
        query: { room_alias: `#nothing:${BETA}` },
        spec: { file: 'query.yaml', path: `${FED}/query/directory` },
      })
      expect(missing.status).toBe(404)
      const foreign = await federation(alpha, beta, 'GET', `${FED}/query/directory`, {
        query: { room_alias: `#lobby:${ALPHA}` },
      })
      expect(foreign.status).toBe(404)

      const alice = await register(alpha, 'alice')
      const resolved = await alpha.call(
        'GET',
        `${V3}/directory/room/${encodeURIComponent(alias)}`,
        {
          user: alice,
        },
      )
      expect(resolved).toEqual({ status: 200, body: { room_id: roomId, servers: [BETA] } })
      expectMatchesSpec(
        'client-server',
        'directory.yaml',
        'GET',
        `${V3}/directory/room/{roomAlias}`,
        200,
        resolved.body,
      )
      const unknown = await alpha.call(
        'GET',
        `${V3}/directory/room/${encodeURIComponent(`#nothing:${BETA}`)}`,
      )
      expect(unknown.status).toBe(404)
    })

    it('serves devices and keys to other servers, and fetches them for its clients', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      const uploaded = await beta.call('POST', `${V3}/keys/upload`, {
        user: bob,
        body: {
          device_keys: deviceKeys(bob),
          one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'one-time', signatures: {} } },
        },
      })
      expect(uploaded.status).toBe(200)
      const keys = { ...deviceKeys(bob) }

      const devices = await federation(
        alpha,
        beta,
        'GET',
        `${FED}/user/devices/${encodeURIComponent(bob.userId)}`,
        {
          spec: { file: 'user_devices.yaml', path: `${FED}/user/devices/{userId}` },
        },
      )
      expect(devices.status).toBe(200)
      expect(devices.body['user_id']).toBe(bob.userId)
      expect(typeof devices.body['stream_id']).toBe('number')
      expect(devices.body['devices']).toEqual([
        { device_id: bob.deviceId, keys, device_display_name: "bob's phone" },
      ])
      const noOne = await federation(
        alpha,
        beta,
        'GET',
        `${FED}/user/devices/${encodeURIComponent(`@x:${ALPHA}`)}`,
      )
      expect(noOne.status).toBe(404)

      const queried = await federation(alpha, beta, 'POST', `${FED}/user/keys/query`, {
        body: { device_keys: { [bob.userId]: [], [`@x:${ALPHA}`]: [] } },
        spec: { file: 'user_keys.yaml', path: `${FED}/user/keys/query` },
      })
      expect(queried.body['device_keys']).toEqual({
        [bob.userId]: {
          [bob.deviceId]: { ...keys, unsigned: { device_display_name: "bob's phone" } },
        },
      })

      // Through a client of the other server, which asks over federation.
      const alice = await register(alpha, 'alice')
      const query = await alpha.call('POST', `${V3}/keys/query`, {
        user: alice,
        body: { device_keys: { [bob.userId]: [], '@carol:gamma.example': [] }, timeout: 2000 },
      })
      expect(query.status).toBe(200)
      expectMatchesSpec('client-server', 'keys.yaml', 'POST', `${V3}/keys/query`, 200, query.body)
      const answer = query.body as JsonObject
      expect((answer['device_keys'] as JsonObject)[bob.userId]).toEqual({
        [bob.deviceId]: { ...keys, unsigned: { device_display_name: "bob's phone" } },
      })
      expect(Object.keys(answer['failures'] as JsonObject)).toEqual(['gamma.example'])

      const claim = await alpha.call('POST', `${V3}/keys/claim`, {
        user: alice,
        body: { one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } } },
      })
      expect(claim.status).toBe(200)
      expectMatchesSpec('client-server', 'keys.yaml', 'POST', `${V3}/keys/claim`, 200, claim.body)
      expect(claim.body).toEqual({
        one_time_keys: {
          [bob.userId]: {
            [bob.deviceId]: { 'signed_curve25519:AAAAAQ': { key: 'one-time', signatures: {} } },
          },
        },
        failures: {},
      })
      // The one key is gone: a second claim, straight to the server, finds none.
      const again = await federation(alpha, beta, 'POST', `${FED}/user/keys/claim`, {
        body: { one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } } },
        spec: { file: 'user_keys.yaml', path: `${FED}/user/keys/claim` },
      })
      expect(again).toEqual({ status: 200, body: { one_time_keys: {} } })
      const bad = await federation(alpha, beta, 'POST', `${FED}/user/keys/claim`, { body: {} })
      expect(bad.body['errcode']).toBe('M_MISSING_PARAM')
    })

    it('lists its published rooms for other servers, and proxies a client’s listing of another', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      const created = await beta.call('POST', `${V3}/createRoom`, {
        user: bob,
        body: { visibility: 'public', preset: 'public_chat', name: 'Lobby' },
      })
      const roomId = (created.body as JsonObject)['room_id']
      const spec = { file: 'public_rooms.yaml', path: `${FED}/publicRooms` }
      const listed = await federation(alpha, beta, 'GET', `${FED}/publicRooms`, {
        query: { limit: '0' },
        spec,
      })
      expect(listed.status).toBe(200)
      expect((listed.body['chunk'] as JsonObject[]).map((r) => r['room_id'])).toEqual([roomId])
      const searched = await federation(alpha, beta, 'POST', `${FED}/publicRooms`, {
        body: { filter: { generic_search_term: 'nothing like it' } },
        spec,
      })
      expect(searched.body['chunk']).toEqual([])
      const badLimit = await federation(alpha, beta, 'GET', `${FED}/publicRooms`, {
        query: { limit: 'x' },
      })
      expect(badLimit.body['errcode']).toBe('M_INVALID_PARAM')

      const alice = await register(alpha, 'alice')
      const viaAlpha = await alpha.call(
        'GET',
        `${V3}/publicRooms?server=${encodeURIComponent(BETA)}`,
      )
      expect(viaAlpha.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'list_public_rooms.yaml',
        'GET',
        `${V3}/publicRooms`,
        200,
        viaAlpha.body,
      )
      const chunk = (viaAlpha.body as JsonObject)['chunk'] as JsonObject[]
      expect(chunk.map((r) => [r['room_id'], r['name']])).toEqual([[roomId, 'Lobby']])
      const posted = await alpha.call(
        'POST',
        `${V3}/publicRooms?server=${encodeURIComponent(BETA)}`,
        {
          user: alice,
          body: { limit: 1, filter: { generic_search_term: 'lobby' } },
        },
      )
      expect(((posted.body as JsonObject)['chunk'] as JsonObject[]).length).toBe(1)
      const away = await alpha.call('GET', `${V3}/publicRooms?server=gamma.example`)
      expect(away.status).toBe(502)
    })

    it('describes a space and the children another server may see', async () => {
      const { alpha, beta } = await pair()
      const bob = await register(beta, 'bob')
      const create = async (body: JsonObject): Promise<string> => {
        const reply = await beta.call('POST', `${V3}/createRoom`, { user: bob, body })
        return (reply.body as JsonObject)['room_id'] as string
      }
      const space = await create({
        preset: 'public_chat',
        name: 'Space',
        creation_content: { type: 'm.space' },
      })
      const open = await create({ preset: 'public_chat', name: 'Open' })
      const closed = await create({ preset: 'private_chat', name: 'Closed' })
      const elsewhere = `!unknown:${ALPHA}`
      for (const [child, suggested] of [
        [open, true],
        [closed, false],
        [elsewhere, true],
      ] as const) {
        const put = await beta.call(
          'PUT',
          `${V3}/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
          { user: bob, body: { via: [BETA], suggested } },
        )
        expect(put.status).toBe(200)
      }
      const spec = { file: 'space_hierarchy.yaml', path: `${FED}/hierarchy/{roomId}` }
      const path = `${FED}/hierarchy/${encodeURIComponent(space)}`
      const tree = await federation(alpha, beta, 'GET', path, { spec })
      expect(tree.status).toBe(200)
      const room = tree.body['room'] as JsonObject
      expect(room['room_id']).toBe(space)
      expect(room['room_type']).toBe('m.space')
      expect((room['children_state'] as JsonObject[]).map((e) => e['state_key']).sort()).toEqual(
        [open, closed, elsewhere].sort(),
      )
      expect((tree.body['children'] as JsonObject[]).map((c) => [c['room_id'], c['name']])).toEqual(
        [[open, 'Open']],
      )
      expect(tree.body['inaccessible_children']).toEqual([closed])
      const suggested = await federation(alpha, beta, 'GET', path, {
        query: { suggested_only: 'true' },
        spec,
      })
      expect(suggested.body['inaccessible_children']).toEqual([])
      expect((suggested.body['children'] as JsonObject[]).length).toBe(1)
      const hidden = await federation(
        alpha,
        beta,
        'GET',
        `${FED}/hierarchy/${encodeURIComponent(closed)}`,
      )
      expect(hidden.status).toBe(404)
      expect(hidden.body['errcode']).toBe('M_NOT_FOUND')
      const bad = await federation(alpha, beta, 'GET', path, { query: { suggested_only: 'maybe' } })
      expect(bad.body['errcode']).toBe('M_INVALID_PARAM')
    })

    it('serves its media as multipart, and fetches, keeps and serves another server’s', async () => {
      const { alpha, beta } = await pair({ maxUploadSize: 64 })
      const bob = await register(beta, 'bob')
      const bytes = Buffer.from('hello from beta, in plain text')
      const upload = await fetch(`${beta.server.url}/_matrix/media/v3/upload?filename=hello.txt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bob.accessToken}`, 'content-type': 'text/plain' },
        body: bytes,
      })
      const uri = ((await upload.json()) as { content_uri: string }).content_uri
      const mediaId = uri.slice(`mxc://${BETA}/`.length)

      const served = await alpha.requester.requestBytes(BETA, `${FED}/media/download/${mediaId}`, {
        maxBytes: 1024,
      })
      if (!served.ok) throw new Error(served.error.message)
      const part = parseMultipartMedia(served.value.contentType ?? '', served.value.body)
      if (!part.ok || part.value.kind !== 'bytes') throw new Error(JSON.stringify(part))
      expect(part.value.contentType).toBe('text/plain')
      expect(part.value.contentDisposition).toBe('inline; filename="hello.txt"')
      expect(Buffer.from(part.value.bytes)).toEqual(bytes)
      const missing = await alpha.requester.requestBytes(BETA, `${FED}/media/download/nothing`, {
        maxBytes: 1024,
      })
      expect(!missing.ok && missing.error.kind === 'http' && missing.error.status).toBe(404)

      const alice = await register(alpha, 'alice')
      const path = `/_matrix/client/v1/media/download/${BETA}/${mediaId}`
      for (let i = 0; i < 2; i++) {
        const download = await fetch(`${alpha.server.url}${path}`, {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        })
        expect(download.status).toBe(200)
        expect(download.headers.get('content-type')).toBe('text/plain')
        expect(download.headers.get('content-disposition')).toBe('inline; filename="hello.txt"')
        expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes)
      }
      // Fetched once, then served from what alpha kept.
      const fetches = alpha.requester.calls.filter((c) => c.path.includes(mediaId))
      expect(fetches).toHaveLength(2)
      // The unauthenticated endpoints do not fetch from other servers.
      const legacy = await fetch(`${alpha.server.url}/_matrix/media/v3/download/${BETA}/${mediaId}`)
      expect(legacy.status).toBe(404)
      // Media over alpha's limit is refused, and not kept.
      const big = await fetch(`${beta.server.url}/_matrix/media/v3/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bob.accessToken}`,
          'content-type': 'application/octet-stream',
        },
        body: Buffer.alloc(100, 7),
      })
      const bigId =
        ((await big.json()) as { content_uri: string }).content_uri.split('/').pop() ?? ''
      const tooBig = await fetch(
        `${alpha.server.url}/_matrix/client/v1/media/download/${BETA}/${bigId}`,
        {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        },
      )
      expect(tooBig.status).toBe(413)
      expect(await alpha.storage.media.getRemote(BETA, bigId)).toBeUndefined()
      const gone = await fetch(
        `${alpha.server.url}/_matrix/client/v1/media/download/${BETA}/nothing`,
        {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        },
      )
      expect(gone.status).toBe(404)
    })

    it('fetches another server’s media once for concurrent requests, and keeps its thumbnails', async () => {
      const { alpha, beta } = await pair({ maxUploadSize: 64 * 1024 })
      const bob = await register(beta, 'bob')
      const alice = await register(alpha, 'alice')
      const png = await sharp({
        create: { width: 80, height: 60, channels: 3, background: { r: 0, g: 120, b: 240 } },
      })
        .png()
        .toBuffer()
      const upload = await fetch(`${beta.server.url}/_matrix/media/v3/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bob.accessToken}`, 'content-type': 'image/png' },
        body: png,
      })
      const mediaId =
        ((await upload.json()) as { content_uri: string }).content_uri.split('/').pop() ?? ''
      const headers = { authorization: `Bearer ${alice.accessToken}` }
      const base = `${alpha.server.url}/_matrix/client/v1/media`
      const downloads = await Promise.all(
        [0, 1, 2].map(() => fetch(`${base}/download/${BETA}/${mediaId}`, { headers })),
      )
      for (const download of downloads) {
        expect(download.status).toBe(200)
        expect(Buffer.from(await download.arrayBuffer())).toEqual(png)
      }
      const fetchesOf = (kind: string): number =>
        alpha.requester.calls.filter((c) => c.path === `${FED}/media/${kind}/${mediaId}`).length
      expect(fetchesOf('download')).toBe(1)
      for (let i = 0; i < 2; i++) {
        const thumbnail = await fetch(
          `${base}/thumbnail/${BETA}/${mediaId}?width=20&height=20&method=crop`,
          { headers },
        )
        expect(thumbnail.status).toBe(200)
        const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()
        expect([meta.width, meta.height]).toEqual([20, 20])
      }
      expect(fetchesOf('thumbnail')).toBe(1)
      // Another size is another thumbnail.
      const scaled = await fetch(`${base}/thumbnail/${BETA}/${mediaId}?width=40&height=40`, {
        headers,
      })
      expect(scaled.status).toBe(200)
      expect(fetchesOf('thumbnail')).toBe(2)
    })
  })
}
