import { afterEach, describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { FakeAuthenticate, type TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { pusherRoutes, type PusherRouteServices } from './pushers.js'

const V3 = '/_matrix/client/v3'
const URL_OK = 'https://push.example/_matrix/push/v1/notify'

interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
}

function httpPusher(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'http',
    app_id: 'com.example.app',
    pushkey: 'key-1',
    app_display_name: 'Example',
    device_display_name: 'Phone',
    profile_tag: 'tag',
    lang: 'en',
    data: { url: URL_OK, format: 'event_id_only', custom: { a: 1 } },
    ...overrides,
  }
}

for (const kind of roomTestStorages()) {
  describe(`pushers on ${kind.name}`, () => {
    const open = useRoomStorage(kind)
    const servers: TestServer[] = []
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()))
    })

    async function start(allowHttpGateways = false): Promise<{
      storage: Storage
      user(name: string, deviceId?: string): Promise<TestUser>
      call(method: string, path: string, user: TestUser | undefined, body?: unknown): Promise<Reply>
    }> {
      const storage = await open()
      const users = new FakeAuthenticate(storage)
      const services: PusherRouteServices = {
        storage,
        config: { push: { allowHttpGateways } },
        now: () => 1_700_000_000_000,
      }
      const server = await startTestServer({
        routes: [...pusherRoutes],
        services,
        authenticate: users.authenticate,
      })
      servers.push(server)
      return {
        storage,
        async user(name, deviceId = 'DEV1') {
          const user = await users.user(name, { deviceId })
          await storage.accounts.createDevice({ userId: user.userId, deviceId, createdTs: 1 })
          return user
        },
        async call(method, path, user, body) {
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (user !== undefined) headers['authorization'] = `Bearer ${user.accessToken}`
          const response = await fetch(`${server.url}${path}`, {
            method,
            headers,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          })
          return {
            status: response.status,
            body: (await response.json()) as Record<string, unknown>,
          }
        },
      }
    }

    async function list(t: Awaited<ReturnType<typeof start>>, user: TestUser): Promise<unknown[]> {
      const reply = await t.call('GET', `${V3}/pushers`, user)
      expect(reply.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'pusher.yaml',
        'GET',
        '/_matrix/client/v3/pushers',
        200,
        reply.body,
      )
      return reply.body['pushers'] as unknown[]
    }

    it('sets, lists, replaces and deletes a pusher', async () => {
      const t = await start()
      const alice = await t.user('alice')
      expect(await list(t, alice)).toEqual([])
      const set = await t.call('POST', `${V3}/pushers/set`, alice, httpPusher())
      expect(set).toEqual({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'pusher.yaml',
        'POST',
        '/_matrix/client/v3/pushers/set',
        200,
        set.body,
      )
      const { kind: _kind, ...shown } = httpPusher()
      expect(await list(t, alice)).toEqual([{ ...shown, kind: 'http' }])
      await t.call(
        'POST',
        `${V3}/pushers/set`,
        alice,
        httpPusher({ lang: 'de', profile_tag: undefined }),
      )
      expect(await list(t, alice)).toEqual([
        expect.objectContaining({ lang: 'de', pushkey: 'key-1' }),
      ])
      expect((await list(t, alice))[0]).not.toHaveProperty('profile_tag')
      // r0 serves the same.
      const r0 = await t.call('GET', '/_matrix/client/r0/pushers', alice)
      expect(r0.body['pushers']).toHaveLength(1)
      const removed = await t.call('POST', `${V3}/pushers/set`, alice, {
        kind: null,
        app_id: 'com.example.app',
        pushkey: 'key-1',
      })
      expect(removed).toEqual({ status: 200, body: {} })
      expect(await list(t, alice)).toEqual([])
    })

    it("takes the pushkey from other users unless append is true, and keeps each user's own", async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      await t.call('POST', `${V3}/pushers/set`, alice, httpPusher())
      await t.call('POST', `${V3}/pushers/set`, bob, httpPusher({ append: true }))
      expect(await list(t, alice)).toHaveLength(1)
      expect(await list(t, bob)).toHaveLength(1)
      await t.call('POST', `${V3}/pushers/set`, bob, httpPusher({ append: false }))
      expect(await list(t, alice)).toEqual([])
      expect(await list(t, bob)).toHaveLength(1)
    })

    it('deletes the pushers of a deleted device', async () => {
      const t = await start()
      const alice = await t.user('alice', 'PHONE')
      await t.call('POST', `${V3}/pushers/set`, alice, httpPusher())
      await t.storage.accounts.deleteDevices(alice.userId, ['PHONE'])
      const other = await t.user('alice', 'LAPTOP')
      expect(await list(t, other)).toEqual([])
    })

    it('answers bad requests with the spec’s errors', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const cases: [unknown, number, string][] = [
        [{ app_id: 'a', pushkey: 'k' }, 400, 'M_MISSING_PARAM'],
        [{ kind: 'http', app_id: 'a', pushkey: 'k' }, 400, 'M_MISSING_PARAM'],
        [httpPusher({ pushkey: undefined }), 400, 'M_MISSING_PARAM'],
        [httpPusher({ data: {} }), 400, 'M_MISSING_PARAM'],
        [httpPusher({ kind: 5 }), 400, 'M_BAD_JSON'],
        [httpPusher({ app_id: ['a'] }), 400, 'M_BAD_JSON'],
        [httpPusher({ lang: 1 }), 400, 'M_BAD_JSON'],
        [httpPusher({ data: 'x' }), 400, 'M_BAD_JSON'],
        [httpPusher({ append: 'yes' }), 400, 'M_BAD_JSON'],
        [httpPusher({ data: { url: 7 } }), 400, 'M_BAD_JSON'],
        [
          httpPusher({ kind: 'email', app_id: 'm.email', pushkey: 'a@b.example' }),
          400,
          'M_INVALID_PARAM',
        ],
        [httpPusher({ kind: 'sms' }), 400, 'M_INVALID_PARAM'],
        [httpPusher({ app_id: 'x'.repeat(65) }), 400, 'M_INVALID_PARAM'],
        [httpPusher({ pushkey: 'é'.repeat(257) }), 400, 'M_INVALID_PARAM'],
        [httpPusher({ data: { url: 'not a url' } }), 400, 'M_INVALID_PARAM'],
        [httpPusher({ data: { url: 'https://push.example/elsewhere' } }), 400, 'M_INVALID_PARAM'],
        [
          httpPusher({ data: { url: 'http://push.example/_matrix/push/v1/notify' } }),
          400,
          'M_INVALID_PARAM',
        ],
        [httpPusher({ data: { url: URL_OK, format: 'full' } }), 400, 'M_INVALID_PARAM'],
        [[1], 400, 'M_BAD_JSON'],
      ]
      for (const [body, status, errcode] of cases) {
        const reply = await t.call('POST', `${V3}/pushers/set`, alice, body)
        expect({ body, status: reply.status, errcode: reply.body['errcode'] }).toEqual({
          body,
          status,
          errcode,
        })
        expectMatchesSpec(
          'client-server',
          'pusher.yaml',
          'POST',
          '/_matrix/client/v3/pushers/set',
          400,
          reply.body,
        )
      }
      const missing = await t.call('POST', `${V3}/pushers/set`, alice, {
        kind: 'http',
        app_id: 'a',
        pushkey: 'k',
      })
      expect(missing.body['error']).toBe(
        'Missing parameters: app_display_name, device_display_name, lang, data',
      )
      expect(await list(t, alice)).toEqual([])
      const noToken = await t.call('GET', `${V3}/pushers`, undefined)
      expect([noToken.status, noToken.body['errcode']]).toEqual([401, 'M_MISSING_TOKEN'])
    })

    it('accepts http: gateway URLs only when configured to', async () => {
      const t = await start(true)
      const alice = await t.user('alice')
      const reply = await t.call(
        'POST',
        `${V3}/pushers/set`,
        alice,
        httpPusher({
          data: { url: 'http://127.0.0.1:1/_matrix/push/v1/notify' },
        }),
      )
      expect(reply.status).toBe(200)
      expect(await list(t, alice)).toHaveLength(1)
    })
  })
}
