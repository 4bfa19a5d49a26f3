/**
 * The rate limits of the client endpoints that the spec marks as rate limited, through the whole
 * server: the configuration file's rules reach the routes, each action's requests share one
 * bucket per user, a request over the limit gets 429 M_LIMIT_EXCEEDED as the spec describes, and
 * `rate_limiting.enabled: false` lifts them all.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitedAction } from '../config/config.js'
import { captureLogs } from '../testing/capture-logs.js'
import {
  httpCaller,
  loginCredentials,
  registerWithDummyAuth,
  sendRequest,
  type HttpReply,
} from '../testing/http-test-client.js'
import { expectMatchesSpec, type SpecMethod } from '../testing/openapi-spec.js'
import { testConfig } from '../testing/test-config.js'
import type { TestUser } from '../testing/fake-authenticate.js'
import { startHomeserver, type RunningHomeserver } from './start-homeserver.js'

const V1 = '/_matrix/client/v1'
const V3 = '/_matrix/client/v3'
/** Every limited action in these tests allows this many requests at once... */
const BURST = 2
/** ...and then refills so slowly that none comes back while a test runs. */
const PER_SECOND = 0.001

/** One request, with where the spec describes its answers. */
interface SpecRequest {
  readonly method: SpecMethod
  readonly path: string
  readonly body?: unknown
  /** The OpenAPI file and templated path that describe this endpoint. */
  readonly spec: readonly [file: string, path: string]
}

/** What a test user has to work with: their room with a message in it, and a file. */
interface Scene {
  readonly user: TestUser
  readonly roomId: string
  readonly eventId: string
  /** Another user, in no room, to invite. */
  readonly other: TestUser
  /** `serverName/mediaId` of a file the user uploaded. */
  readonly media: string
}

interface LimitCase {
  readonly action: RateLimitedAction
  /** BURST requests that succeed while the bucket lasts. */
  readonly allowed: (scene: Scene) => readonly SpecRequest[]
  /** Requests made once the bucket is empty: each is refused, whichever endpoint it is. */
  readonly refused: (scene: Scene) => readonly SpecRequest[]
}

function room(roomId: string, rest: string, version = V3): string {
  return `${version}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

function typing(scene: Scene): SpecRequest {
  return {
    method: 'PUT',
    path: room(scene.roomId, `typing/${encodeURIComponent(scene.user.userId)}`),
    body: { typing: true, timeout: 30_000 },
    spec: ['typing.yaml', `${V3}/rooms/{roomId}/typing/{userId}`],
  }
}

function presence(scene: Scene): SpecRequest {
  return {
    method: 'PUT',
    path: `${V3}/presence/${encodeURIComponent(scene.user.userId)}/status`,
    body: { presence: 'online', status_msg: 'here' },
    spec: ['presence.yaml', `${V3}/presence/{userId}/status`],
  }
}

function receipt(scene: Scene): SpecRequest {
  return {
    method: 'POST',
    path: room(scene.roomId, `receipt/m.read/${encodeURIComponent(scene.eventId)}`),
    body: {},
    spec: ['receipts.yaml', `${V3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`],
  }
}

function readMarkers(scene: Scene): SpecRequest {
  return {
    method: 'POST',
    path: room(scene.roomId, 'read_markers'),
    body: { 'm.fully_read': scene.eventId },
    spec: ['read_markers.yaml', `${V3}/rooms/{roomId}/read_markers`],
  }
}

/** The user joins their own room again, which changes nothing but still counts. */
function joinById(scene: Scene): SpecRequest {
  return {
    method: 'POST',
    path: room(scene.roomId, 'join'),
    body: {},
    spec: ['joining.yaml', `${V3}/rooms/{roomId}/join`],
  }
}

function download(scene: Scene, rest = ''): SpecRequest {
  return {
    method: 'GET',
    path: `${V1}/media/download/${scene.media}${rest}`,
    spec: [
      'authed-content-repo.yaml',
      `${V1}/media/download/{serverName}/{mediaId}${rest === '' ? '' : '/{fileName}'}`,
    ],
  }
}

const CASES: readonly LimitCase[] = [
  {
    // Downloads, with or without a file name, and thumbnails share one bucket.
    action: 'media_download',
    allowed: (s) => [download(s), download(s, '/notes.txt')],
    refused: (s) => [
      download(s),
      {
        method: 'GET',
        path: `${V1}/media/thumbnail/${s.media}?width=32&height=32`,
        spec: ['authed-content-repo.yaml', `${V1}/media/thumbnail/{serverName}/{mediaId}`],
      },
    ],
  },
  { action: 'typing', allowed: (s) => [typing(s), typing(s)], refused: (s) => [typing(s)] },
  { action: 'presence', allowed: (s) => [presence(s), presence(s)], refused: (s) => [presence(s)] },
  {
    // Receipts and read markers share one bucket.
    action: 'receipt',
    allowed: (s) => [receipt(s), readMarkers(s)],
    refused: (s) => [receipt(s), readMarkers(s)],
  },
  {
    // Joins by ID and by alias, knocks and invites share one bucket.
    action: 'join',
    allowed: (s) => [
      joinById(s),
      {
        method: 'POST',
        path: `${V3}/join/${encodeURIComponent(s.roomId)}`,
        body: {},
        spec: ['joining.yaml', `${V3}/join/{roomIdOrAlias}`],
      },
    ],
    refused: (s) => [
      joinById(s),
      {
        method: 'POST',
        path: `${V3}/knock/${encodeURIComponent(s.roomId)}`,
        body: {},
        spec: ['knocking.yaml', `${V3}/knock/{roomIdOrAlias}`],
      },
      {
        method: 'POST',
        path: room(s.roomId, 'invite'),
        body: { user_id: s.other.userId },
        spec: ['inviting.yaml', `${V3}/rooms/{roomId}/invite`],
      },
    ],
  },
  {
    action: 'leave',
    allowed: (s) => [
      {
        method: 'POST',
        path: room(s.roomId, 'leave'),
        body: {},
        spec: ['leaving.yaml', `${V3}/rooms/{roomId}/leave`],
      },
      {
        method: 'POST',
        path: room(s.roomId, 'forget'),
        body: {},
        spec: ['leaving.yaml', `${V3}/rooms/{roomId}/forget`],
      },
    ],
    refused: (s) => [
      {
        method: 'POST',
        path: room(s.roomId, 'leave'),
        body: {},
        spec: ['leaving.yaml', `${V3}/rooms/{roomId}/leave`],
      },
    ],
  },
  {
    action: 'profile',
    allowed: (s) => [displayName(s, 'A'), displayName(s, 'B')],
    refused: (s) => [
      displayName(s, 'C'),
      {
        method: 'DELETE',
        path: `${V3}/profile/${encodeURIComponent(s.user.userId)}/displayname`,
        spec: ['profile.yaml', `${V3}/profile/{userId}/{keyName}`],
      },
    ],
  },
  {
    // /search, /threads, /hierarchy and a room's aliases share one bucket.
    action: 'room_query',
    allowed: (s) => [
      {
        method: 'POST',
        path: `${V3}/search`,
        body: { search_categories: { room_events: { search_term: 'hello' } } },
        spec: ['search.yaml', `${V3}/search`],
      },
      {
        method: 'GET',
        path: room(s.roomId, 'threads', V1),
        spec: ['threads_list.yaml', `${V1}/rooms/{roomId}/threads`],
      },
    ],
    refused: (s) => [
      {
        method: 'GET',
        path: room(s.roomId, 'hierarchy', V1),
        spec: ['space_hierarchy.yaml', `${V1}/rooms/{roomId}/hierarchy`],
      },
      {
        method: 'GET',
        path: room(s.roomId, 'aliases'),
        spec: ['directory.yaml', `${V3}/rooms/{roomId}/aliases`],
      },
    ],
  },
  {
    action: 'user_directory',
    allowed: () => [userSearch(), userSearch()],
    refused: () => [userSearch()],
  },
  {
    // Pushers and push rules share one bucket.
    action: 'push_settings',
    allowed: () => [pushRule(), removePusher()],
    refused: () => [pushRule(), removePusher()],
  },
  {
    action: 'key_backup',
    allowed: () => [
      {
        method: 'POST',
        path: `${V3}/room_keys/version`,
        body: {
          algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2',
          auth_data: { public_key: 'cHVibGljIGtleQ' },
        },
        spec: ['key_backup.yaml', `${V3}/room_keys/version`],
      },
      {
        method: 'GET',
        path: `${V3}/room_keys/version`,
        spec: ['key_backup.yaml', `${V3}/room_keys/version`],
      },
    ],
    refused: () => [
      {
        method: 'GET',
        path: `${V3}/room_keys/keys?version=1`,
        spec: ['key_backup.yaml', `${V3}/room_keys/keys`],
      },
      {
        method: 'DELETE',
        path: `${V3}/room_keys/version/1`,
        spec: ['key_backup.yaml', `${V3}/room_keys/version/{version}`],
      },
    ],
  },
]

function displayName(scene: Scene, name: string): SpecRequest {
  return {
    method: 'PUT',
    path: `${V3}/profile/${encodeURIComponent(scene.user.userId)}/displayname`,
    body: { displayname: name },
    spec: ['profile.yaml', `${V3}/profile/{userId}/{keyName}`],
  }
}

function userSearch(): SpecRequest {
  return {
    method: 'POST',
    path: `${V3}/user_directory/search`,
    body: { search_term: 'someone' },
    spec: ['users.yaml', `${V3}/user_directory/search`],
  }
}

function pushRule(): SpecRequest {
  return {
    method: 'PUT',
    path: `${V3}/pushrules/global/content/nocake`,
    body: { pattern: 'cake*lie', actions: ['notify'] },
    spec: ['pushrules.yaml', `${V3}/pushrules/global/{kind}/{ruleId}`],
  }
}

function removePusher(): SpecRequest {
  return {
    method: 'POST',
    path: `${V3}/pushers/set`,
    body: { kind: null, app_id: 'com.example.app', pushkey: 'key-1' },
    spec: ['pusher.yaml', `${V3}/pushers/set`],
  }
}

const root = mkdtempSync(join(tmpdir(), 'rhizome-limits-'))
const running: RunningHomeserver[] = []

afterAll(async () => {
  await Promise.all(running.map((s) => s.close()))
  rmSync(root, { recursive: true, force: true })
})

/** A homeserver with `rateLimiting` as its `rate_limiting` section. */
async function startServer(name: string, rateLimiting: Record<string, unknown>): Promise<string> {
  const dataDir = join(root, name)
  const config = testConfig(dataDir, {
    database: 'sqlite::memory:',
    registration: { enabled: true },
    federation: { enabled: false },
    // New uploads stay reachable through the legacy endpoints too.
    media: { freeze_legacy_media: false },
    rate_limiting: rateLimiting,
  })
  const started = await startHomeserver(config, captureLogs().logger)
  if (!started.ok) throw new Error(started.error)
  running.push(started.value)
  const listener = started.value.listeners[0]
  if (listener === undefined) throw new Error('no listener')
  return listener.url.replace(/\/$/, '')
}

let users = 0

/**
 * A new user, with a public room of their own that has a message in it and a file they uploaded,
 * and a second user.
 */
async function scene(baseUrl: string): Promise<Scene> {
  const call = httpCaller(baseUrl)
  const register = async (): Promise<TestUser> => {
    const localpart = `user${++users}`
    const reply = await registerWithDummyAuth((body) => call('POST', `${V3}/register`, { body }), {
      username: localpart,
      password: `password of ${localpart}`,
    })
    const login = loginCredentials(reply, `register ${localpart}`)
    return {
      ...login,
      requester: { userId: login.userId, deviceId: login.deviceId, isGuest: false },
    }
  }
  const user = await register()
  const other = await register()
  const created = await call('POST', `${V3}/createRoom`, {
    user,
    body: { preset: 'public_chat' },
  })
  const roomId = (created.body as { room_id?: unknown }).room_id
  if (typeof roomId !== 'string') throw new Error(`createRoom: ${JSON.stringify(created)}`)
  const sent = await call('PUT', room(roomId, 'send/m.room.message/t1'), {
    user,
    body: { msgtype: 'm.text', body: 'hello' },
  })
  const eventId = (sent.body as { event_id?: unknown }).event_id
  if (typeof eventId !== 'string') throw new Error(`send: ${JSON.stringify(sent)}`)
  const uploaded = await call('POST', '/_matrix/media/v3/upload', { user, raw: 'some notes' })
  const uri = (uploaded.body as { content_uri?: unknown }).content_uri
  if (typeof uri !== 'string') throw new Error(`upload: ${JSON.stringify(uploaded)}`)
  return { user, roomId, eventId, other, media: uri.slice('mxc://'.length) }
}

/** `request` as the scene's user; a body that is not JSON (a download) is left as text. */
async function send(baseUrl: string, scene: Scene, request: SpecRequest): Promise<HttpReply> {
  const reply = await sendRequest(baseUrl, request.method, request.path, {
    token: scene.user.accessToken,
    ...(request.body === undefined ? {} : { body: request.body }),
  })
  let body: unknown = reply.text
  try {
    body = JSON.parse(reply.text) as unknown
  } catch {
    // A file's bytes.
  }
  return { status: reply.status, body }
}

function label(request: SpecRequest): string {
  return `${request.method} ${request.spec[1]}`
}

describe('rate-limited client endpoints', () => {
  let baseUrl = ''

  beforeAll(async () => {
    const rules: Record<string, unknown> = {
      // Registering the test users must not be what runs out.
      registration: { per_second: 1000, burst_count: 1000 },
    }
    for (const { action } of CASES) rules[action] = { per_second: PER_SECOND, burst_count: BURST }
    baseUrl = await startServer('limited', { enabled: true, ...rules })
  })

  for (const limit of CASES) {
    it(`limits ${limit.action} per user: a burst, then 429 M_LIMIT_EXCEEDED with retry_after_ms`, async () => {
      const s = await scene(baseUrl)
      const allowed = limit.allowed(s)
      expect(allowed).toHaveLength(BURST)
      for (const request of allowed) {
        const reply = await send(baseUrl, s, request)
        expect(reply.status, label(request)).toBe(200)
      }
      for (const request of limit.refused(s)) {
        const reply = await send(baseUrl, s, request)
        expect(reply, label(request)).toMatchObject({
          status: 429,
          body: { errcode: 'M_LIMIT_EXCEEDED' },
        })
        const retryAfter = (reply.body as { retry_after_ms?: unknown }).retry_after_ms
        expect(typeof retryAfter === 'number' && retryAfter > 0, label(request)).toBe(true)
        const [file, path] = request.spec
        expectMatchesSpec('client-server', file, request.method, path, 429, reply.body)
      }
      // Each user has a bucket of their own: a fresh user still gets through.
      const fresh = await scene(baseUrl)
      const [first] = limit.allowed(fresh)
      if (first === undefined) throw new Error('no allowed request')
      expect((await send(baseUrl, fresh, first)).status, label(first)).toBe(200)
    })
  }

  it('limits the legacy downloads, which take no token, per client address', async () => {
    const s = await scene(baseUrl)
    const legacy: SpecRequest = {
      method: 'GET',
      path: `/_matrix/media/v3/download/${s.media}`,
      spec: ['content-repo.yaml', '/_matrix/media/v3/download/{serverName}/{mediaId}'],
    }
    for (let i = 0; i < BURST; i++) {
      expect(await send(baseUrl, s, legacy)).toEqual({ status: 200, body: 'some notes' })
    }
    // Another user from the same address finds the bucket empty too.
    for (const who of [s, await scene(baseUrl)]) {
      const reply = await send(baseUrl, who, legacy)
      expect(reply).toMatchObject({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } })
      expectMatchesSpec('client-server', legacy.spec[0], 'GET', legacy.spec[1], 429, reply.body)
    }
  })
})

describe('rate-limited client endpoints with rate_limiting.enabled: false', () => {
  let baseUrl = ''

  beforeAll(async () => {
    const rules: Record<string, unknown> = {}
    for (const { action } of CASES) rules[action] = { per_second: PER_SECOND, burst_count: 1 }
    baseUrl = await startServer('unlimited', { enabled: false, ...rules })
  })

  for (const limit of CASES) {
    it(`does not limit ${limit.action}`, async () => {
      const s = await scene(baseUrl)
      for (const request of limit.allowed(s)) {
        expect((await send(baseUrl, s, request)).status, label(request)).toBe(200)
      }
      // Well past the configured burst of 1, nothing is refused for its rate.
      for (let round = 0; round < 3; round++) {
        for (const request of [...limit.allowed(s), ...limit.refused(s)]) {
          const reply = await send(baseUrl, s, request)
          expect(reply.status, label(request)).not.toBe(429)
          expect(reply.status, label(request)).toBeLessThan(500)
        }
      }
    })
  }
})
