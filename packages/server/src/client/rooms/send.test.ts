import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import {
  useRoomTestServer,
  type RoomTestServer,
  type TestUser,
} from '../../testing/room-test-server.js'

const V3 = '/_matrix/client/v3'
const SEND_PATH = `${V3}/rooms/{roomId}/send/{eventType}/{txnId}`
const STATE_PATH = `${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`

async function createRoom(t: RoomTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

async function send(
  t: RoomTestServer,
  user: TestUser,
  roomId: string,
  txnId: string,
  body: unknown,
  type = 'm.room.message',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const reply = await t.call('PUT', room(roomId, `send/${type}/${txnId}`), { user, body })
  return reply as { status: number; body: Record<string, unknown> }
}

const text = (body: string): object => ({ msgtype: 'm.text', body })

for (const kind of roomTestStorages()) {
  describe(`sending on ${kind.name}`, () => {
    const start = useRoomTestServer(kind)

    it('sends a message and answers a retry with the same event', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const sent = await send(t, alice, roomId, 'txn1', text('hello'))
      expect(sent.status).toBe(200)
      expectMatchesSpec('client-server', 'room_send.yaml', 'PUT', SEND_PATH, 200, sent.body)
      const again = await send(t, alice, roomId, 'txn1', text('hello'))
      expect(again.body).toEqual(sent.body)

      // The same transaction ID on another path is another request.
      const otherRoom = await createRoom(t, alice)
      const elsewhere = await send(t, alice, otherRoom, 'txn1', text('hello'))
      expect(elsewhere.body['event_id']).not.toBe(sent.body['event_id'])
      const otherType = await send(t, alice, roomId, 'txn1', { x: 1 }, 'org.example.custom')
      expect(otherType.body['event_id']).not.toBe(sent.body['event_id'])

      const event = await t.call('GET', room(roomId, `event/${String(sent.body['event_id'])}`), {
        user: alice,
      })
      expect(event).toMatchObject({
        status: 200,
        body: { type: 'm.room.message', content: { msgtype: 'm.text', body: 'hello' } },
      })
    })

    it('refuses senders who are not in the room, or left it', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      const outsider = await send(t, bob, roomId, 'a', text('hi'))
      expect(outsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      expect((await send(t, bob, roomId, 'b', text('hi'))).status).toBe(200)
      await t.call('POST', room(roomId, 'leave'), { user: bob })
      const left = await send(t, bob, roomId, 'c', text('still here?'))
      expect(left).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const unknown = await send(t, alice, '!nope:example.org', 'd', text('hi'))
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('refuses a 70 KB message with M_TOO_LARGE and bodies that are no JSON objects', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const big = await send(t, alice, roomId, 'big', text('x'.repeat(70 * 1024)))
      expect(big).toMatchObject({ status: 413, body: { errcode: 'M_TOO_LARGE' } })
      const list = await send(t, alice, roomId, 'list', [1, 2])
      expect(list).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const float = await send(t, alice, roomId, 'float', { value: 1.5 })
      expect(float).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const broken = await t.call('PUT', room(roomId, 'send/m.room.message/broken'), {
        user: alice,
        raw: '{"body": ',
      })
      expect(broken).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const longType = await send(t, alice, roomId, 'long', {}, 'x'.repeat(300))
      expect(longType).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    const startLimited = useRoomTestServer(kind, {
      rateLimiter: createMemoryRateLimiter(
        {
          enabled: true,
          rules: {
            login: { perSecond: 100, burstCount: 100 },
            registration: { perSecond: 100, burstCount: 100 },
            message: { perSecond: 0.001, burstCount: 2 },
            report: { perSecond: 1, burstCount: 1 },
          },
        },
        Date.now,
      ),
    })

    it('rate limits sending with the message limit', async () => {
      const t = await startLimited()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      expect((await send(t, alice, roomId, '1', text('a'))).status).toBe(200)
      expect((await send(t, alice, roomId, '2', text('b'))).status).toBe(200)
      const third = await send(t, alice, roomId, '3', text('c'))
      expect(third).toMatchObject({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } })
    })

    it('sets state with and without a state key, and reads it back', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const named = await t.call('PUT', room(roomId, 'state/m.room.name'), {
        user: alice,
        body: { name: 'One' },
      })
      expect(named.status).toBe(200)
      expectMatchesSpec('client-server', 'room_state.yaml', 'PUT', STATE_PATH, 200, named.body)
      const slash = await t.call('PUT', room(roomId, 'state/m.room.name/'), {
        user: alice,
        body: { name: 'Two' },
      })
      expect(slash.status).toBe(200)
      const keyed = await t.call(
        'PUT',
        room(roomId, `state/org.example.pet/${encodeURIComponent('a/b c')}`),
        {
          user: alice,
          body: { animal: 'cat' },
        },
      )
      expect(keyed.status).toBe(200)

      const name = await t.call('GET', room(roomId, 'state/m.room.name/'), { user: alice })
      expect(name).toEqual({ status: 200, body: { name: 'Two' } })
      expectMatchesSpec('client-server', 'rooms.yaml', 'GET', STATE_PATH, 200, name.body)
      const pet = await t.call(
        'GET',
        room(roomId, `state/org.example.pet/${encodeURIComponent('a/b c')}?format=event`),
        {
          user: alice,
        },
      )
      expect(pet).toMatchObject({
        status: 200,
        body: { type: 'org.example.pet', state_key: 'a/b c', content: { animal: 'cat' } },
      })
      // The spec's oneOf cannot tell a whole event from content (both are objects), so the
      // format=event answer is checked field by field above.
      const nameEvent = await t.call('GET', room(roomId, 'state/m.room.name?format=event'), {
        user: alice,
      })
      expect(nameEvent.body).toMatchObject({
        unsigned: { prev_content: { name: 'One' }, prev_sender: alice.userId },
      })

      // The same state again sends nothing and answers with the event that set it.
      const same = await t.call('PUT', room(roomId, 'state/m.room.name'), {
        user: alice,
        body: { name: 'Two' },
      })
      expect(same.body).toEqual(slash.body)

      const missing = await t.call('GET', room(roomId, 'state/m.room.avatar'), { user: alice })
      expect(missing).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const badFormat = await t.call('GET', room(roomId, 'state/m.room.name?format=xml'), {
        user: alice,
      })
      expect(badFormat).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    it('checks the aliases a canonical alias event adds', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice, { room_alias_name: 'home' })
      const other = await createRoom(t, alice, { room_alias_name: 'away' })
      const put = (body: object): Promise<{ status: number; body: unknown }> =>
        t.call('PUT', room(roomId, 'state/m.room.canonical_alias'), { user: alice, body })

      expect(
        (await put({ alias: '#home:example.org', alt_aliases: ['#elsewhere:other.example'] }))
          .status,
      ).toBe(200)
      expect(await put({ alias: '#away:example.org' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_ALIAS' },
      })
      expect(await put({ alias: '#missing:example.org' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_ALIAS' },
      })
      for (const body of [
        { alias: 'home' },
        { alias: 5 },
        { alt_aliases: '#home:example.org' },
        { alt_aliases: [1] },
      ]) {
        expect(await put(body)).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      // Aliases already listed are not checked again; removing all of them is fine.
      expect(
        (await put({ alias: '#home:example.org', alt_aliases: ['#elsewhere:other.example'] }))
          .status,
      ).toBe(200)
      expect((await put({})).status).toBe(200)
      expect(other).not.toBe(roomId)
    })

    it('refuses power-levels changes from users without the power', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      const grab = await t.call('PUT', room(roomId, 'state/m.room.power_levels'), {
        user: bob,
        body: { users: { [bob.userId]: 100 } },
      })
      expect(grab).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const topic = await t.call('PUT', room(roomId, 'state/m.room.topic'), {
        user: bob,
        body: { topic: 'mine' },
      })
      expect(topic.status).toBe(403)
      // Someone else's member event is not theirs to set.
      const impersonate = await t.call('PUT', room(roomId, `state/m.room.member/${alice.userId}`), {
        user: bob,
        body: { membership: 'leave' },
      })
      expect(impersonate.status).toBe(403)
    })

    it('redacts through both endpoints, checking who may redact what', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      const aliceMessage = (await send(t, alice, roomId, 'm1', text('secret'))).body[
        'event_id'
      ] as string
      const bobMessage = (await send(t, bob, roomId, 'm2', text('oops'))).body['event_id'] as string

      const denied = await t.call('PUT', room(roomId, `redact/${aliceMessage}/r1`), {
        user: bob,
        body: {},
      })
      expect(denied).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const own = await t.call('PUT', room(roomId, `redact/${bobMessage}/r2`), {
        user: bob,
        body: { reason: 'typo' },
      })
      expect(own.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'redaction.yaml',
        'PUT',
        `${V3}/rooms/{roomId}/redact/{eventId}/{txnId}`,
        200,
        own.body,
      )
      const retried = await t.call('PUT', room(roomId, `redact/${bobMessage}/r2`), {
        user: bob,
        body: { reason: 'typo' },
      })
      expect(retried.body).toEqual(own.body)

      const byModerator = await send(
        t,
        alice,
        roomId,
        'r3',
        { redacts: aliceMessage },
        'm.room.redaction',
      )
      expect(byModerator.status).toBe(200)

      const redacted = await t.call('GET', room(roomId, `event/${bobMessage}`), { user: alice })
      expect(redacted).toMatchObject({
        status: 200,
        body: {
          content: {},
          unsigned: {
            redacted_because: {
              event_id: (own.body as { event_id: string }).event_id,
              type: 'm.room.redaction',
              content: { reason: 'typo', redacts: bobMessage },
              redacts: bobMessage,
            },
          },
        },
      })
      expectMatchesSpec(
        'client-server',
        'rooms.yaml',
        'GET',
        `${V3}/rooms/{roomId}/event/{eventId}`,
        200,
        redacted.body,
      )

      const unknown = await t.call('PUT', room(roomId, `redact/$${'A'.repeat(43)}/r4`), {
        user: alice,
        body: {},
      })
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const noTarget = await send(t, alice, roomId, 'r5', { reason: 'x' }, 'm.room.redaction')
      expect(noTarget).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
    })
  })
}
