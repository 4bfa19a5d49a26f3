import { afterEach, describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { noRateLimits, type RateLimiter } from '../../rate-limit/rate-limiter.js'
import { createRoomService, type RoomService } from '../../rooms/room-service.js'
import { FakeAuthenticate, type TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { crypto, SERVER_NAME, SIGNING_KEY } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import type { HttpReply } from '../../testing/room-test-server.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { roomRoutes } from '../rooms/room-routes.js'
import { reportRoutes, type ReportRouteServices } from './report-content.js'

const V3 = '/_matrix/client/v3'
const EVENT_PATH = `${V3}/rooms/{roomId}/report/{eventId}`
const ROOM_PATH = `${V3}/rooms/{roomId}/report`
const USER_PATH = `${V3}/users/{userId}/report`

interface ReportTestServer {
  readonly server: TestServer
  readonly storage: Storage
  readonly users: FakeAuthenticate
  call(method: string, path: string, user?: TestUser, body?: unknown): Promise<HttpReply>
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

for (const kind of roomTestStorages()) {
  describe(`reporting content on ${kind.name}`, () => {
    const open = useRoomStorage(kind)
    const servers: TestServer[] = []
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()))
    })

    async function start(rateLimiter: RateLimiter = noRateLimits): Promise<ReportTestServer> {
      const storage = await open()
      const rooms = createRoomService({
        storage,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
      })
      const users = new FakeAuthenticate(storage)
      const services: ReportRouteServices & { readonly rooms: RoomService } = {
        storage,
        rooms,
        config: { serverName: SERVER_NAME },
        now: () => 1_700_000_000_000,
      }
      const server = await startTestServer({
        routes: [...roomRoutes, ...reportRoutes],
        services,
        authenticate: users.authenticate,
        rateLimiter,
      })
      servers.push(server)
      return {
        server,
        storage,
        users,
        async call(method, path, user, body) {
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (user !== undefined) headers['authorization'] = `Bearer ${user.accessToken}`
          const response = await fetch(`${server.url}${path}`, {
            method,
            headers,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          })
          const text = await response.text()
          return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
        },
      }
    }

    /** Alice's public room with bob joined and a message of bob's in it. */
    async function setup(t: ReportTestServer) {
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const created = await t.call('POST', `${V3}/createRoom`, alice, {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
        ],
      })
      const roomId = (created.body as { room_id: string }).room_id
      expect((await t.call('POST', room(roomId, 'join'), bob)).status).toBe(200)
      const sent = await t.call('PUT', room(roomId, 'send/m.room.message/1'), bob, {
        msgtype: 'm.text',
        body: 'rude words',
      })
      const eventId = (sent.body as { event_id: string }).event_id
      return { alice, bob, carol, roomId, eventId }
    }

    it('stores an event report with its reason and legacy score, and logs it', async () => {
      const t = await start()
      const { alice, bob, roomId, eventId } = await setup(t)
      const reply = await t.call('POST', room(roomId, `report/${eventId}`), alice, {
        reason: 'this makes me sad',
        score: -50,
      })
      expect(reply).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'report_content.yaml', 'POST', EVENT_PATH, 200, reply.body)
      // Without a reason, and with a score the spec no longer knows, over r0.
      const bare = await t.call(
        'POST',
        `/_matrix/client/r0/rooms/${encodeURIComponent(roomId)}/report/${eventId}`,
        alice,
        { score: 'high' },
      )
      expect(bare).toEqual({ status: 200, body: {} })

      const stored = await t.storage.reports.list({ limit: 10 })
      expect(stored).toEqual([
        {
          id: expect.any(Number) as number,
          reporter: alice.userId,
          target: { kind: 'event', roomId, eventId, sender: bob.userId },
          reason: undefined,
          score: undefined,
          receivedTs: 1_700_000_000_000,
        },
        {
          id: expect.any(Number) as number,
          reporter: alice.userId,
          target: { kind: 'event', roomId, eventId, sender: bob.userId },
          reason: 'this makes me sad',
          score: -50,
          receivedTs: 1_700_000_000_000,
        },
      ])
      const logged = t.server.logs.entries().filter((e) => e['msg'] === 'event reported')
      expect(logged).toHaveLength(2)
      expect(logged[0]).toMatchObject({ reporter: alice.userId, roomId, eventId })
      // The reporter's words stay out of the logs.
      expect(t.server.logs.text()).not.toContain('makes me sad')
    })

    it('answers 404 alike for unknown events, rooms not joined and events not visible', async () => {
      const t = await start()
      const { alice, bob, carol, roomId, eventId } = await setup(t)
      const refused = async (user: TestUser, path: string): Promise<void> => {
        const reply = await t.call('POST', path, user, { reason: 'x' })
        expect(reply, path).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
        expectMatchesSpec(
          'client-server',
          'report_content.yaml',
          'POST',
          EVENT_PATH,
          404,
          reply.body,
        )
      }
      // Carol is not in the room.
      await refused(carol, room(roomId, `report/${eventId}`))
      await refused(alice, room(roomId, 'report/$nonexistent:example.org'))
      await refused(alice, room('!elsewhere:example.org', `report/${eventId}`))
      // Carol joins after the message, in a room whose history is for members only: she may not
      // see it, so she may not report it.
      expect((await t.call('POST', room(roomId, 'join'), carol)).status).toBe(200)
      await refused(carol, room(roomId, `report/${eventId}`))
      // Bob left: no longer joined, no report.
      expect((await t.call('POST', room(roomId, 'leave'), bob)).status).toBe(200)
      await refused(bob, room(roomId, `report/${eventId}`))
      expect(await t.storage.reports.list({ limit: 10 })).toEqual([])
    })

    it('reports rooms without membership, and users of this server that exist', async () => {
      const t = await start()
      const { bob, carol, roomId } = await setup(t)
      const roomReport = await t.call('POST', room(roomId, 'report'), carol, { reason: '' })
      expect(roomReport).toEqual({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'report_content.yaml',
        'POST',
        ROOM_PATH,
        200,
        roomReport.body,
      )
      const unknownRoom = await t.call('POST', room('!nope:example.org', 'report'), carol, {
        reason: 'x',
      })
      expect(unknownRoom).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec(
        'client-server',
        'report_content.yaml',
        'POST',
        ROOM_PATH,
        404,
        unknownRoom.body,
      )

      const userPath = (userId: string): string =>
        `${V3}/users/${encodeURIComponent(userId)}/report`
      const userReport = await t.call('POST', userPath(bob.userId), carol, { reason: 'spam' })
      expect(userReport).toEqual({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'report_content.yaml',
        'POST',
        USER_PATH,
        200,
        userReport.body,
      )
      const nobody = await t.call('POST', userPath('@nobody:example.org'), carol, { reason: 'x' })
      expect(nobody).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec('client-server', 'report_content.yaml', 'POST', USER_PATH, 404, nobody.body)
      // Another server's users cannot be checked yet: the report is taken.
      const remote = await t.call('POST', userPath('@someone:other.example'), carol, {
        reason: 'x',
      })
      expect(remote.status).toBe(200)

      const stored = await t.storage.reports.list({ limit: 10 })
      expect(stored.map((r) => [r.reporter, r.target, r.reason])).toEqual([
        [carol.userId, { kind: 'user', userId: '@someone:other.example' }, 'x'],
        [carol.userId, { kind: 'user', userId: bob.userId }, 'spam'],
        [carol.userId, { kind: 'room', roomId }, ''],
      ])
    })

    it('refuses bad bodies, bad IDs and anonymous reporters', async () => {
      const t = await start()
      const { alice, roomId, eventId } = await setup(t)
      const cases: [string, unknown, number, string][] = [
        [room(roomId, `report/${eventId}`), { reason: 5 }, 400, 'M_BAD_JSON'],
        [room(roomId, 'report'), {}, 400, 'M_MISSING_PARAM'],
        [room(roomId, 'report'), { reason: null }, 400, 'M_BAD_JSON'],
        [`${V3}/users/${encodeURIComponent(alice.userId)}/report`, {}, 400, 'M_MISSING_PARAM'],
        [`${V3}/users/not-a-user/report`, { reason: 'x' }, 400, 'M_INVALID_PARAM'],
        [room('not-a-room', 'report'), { reason: 'x' }, 400, 'M_INVALID_PARAM'],
        [room(roomId, 'report/not-an-event'), { reason: 'x' }, 400, 'M_INVALID_PARAM'],
      ]
      for (const [path, body, status, errcode] of cases) {
        const reply = await t.call('POST', path, alice, body)
        expect(reply, `${path} ${JSON.stringify(body)}`).toMatchObject({
          status,
          body: { errcode },
        })
      }
      const notObject = await t.call('POST', room(roomId, 'report'), alice, ['x'])
      expect(notObject).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const anonymous = await t.call('POST', room(roomId, 'report'), undefined, { reason: 'x' })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      expect(await t.storage.reports.list({ limit: 10 })).toEqual([])
    })

    it('rate limits reports per reporter', async () => {
      const limiter = createMemoryRateLimiter(
        {
          enabled: true,
          rules: {
            login: { perSecond: 100, burstCount: 100 },
            registration: { perSecond: 100, burstCount: 100 },
            message: { perSecond: 100, burstCount: 100 },
            report: { perSecond: 0.001, burstCount: 2 },
          },
        },
        Date.now,
      )
      const t = await start(limiter)
      const { alice, carol, roomId, eventId } = await setup(t)
      expect((await t.call('POST', room(roomId, 'report'), alice, { reason: '1' })).status).toBe(
        200,
      )
      const second = await t.call('POST', room(roomId, `report/${eventId}`), alice, {})
      expect(second.status).toBe(200)
      const third = await t.call('POST', room(roomId, 'report'), alice, { reason: '3' })
      expect(third).toMatchObject({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } })
      expectMatchesSpec('client-server', 'report_content.yaml', 'POST', ROOM_PATH, 429, third.body)
      // Another reporter has a bucket of their own.
      expect((await t.call('POST', room(roomId, 'report'), carol, { reason: '4' })).status).toBe(
        200,
      )
      expect(await t.storage.reports.list({ limit: 10 })).toHaveLength(3)
    })
  })
}
