import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V1 = '/_matrix/client/v1'
const V3 = '/_matrix/client/v3'
const SPEC_PATH = `${V1}/rooms/{roomId}/hierarchy`

interface Chunk {
  readonly room_id: string
  readonly name?: string
  readonly topic?: string
  readonly room_type?: string
  readonly join_rule?: string
  readonly num_joined_members: number
  readonly world_readable: boolean
  readonly guest_can_join: boolean
  readonly allowed_room_ids?: string[]
  readonly room_version?: string
  readonly canonical_alias?: string
  readonly children_state: {
    type: string
    state_key: string
    sender: string
    content: Record<string, unknown>
    origin_server_ts: number
  }[]
}
interface Page {
  readonly rooms: Chunk[]
  readonly next_batch?: string
}

const room = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

async function putState(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  type: string,
  stateKey: string,
  content: object,
): Promise<void> {
  const reply = await t.call('PUT', room(roomId, `state/${type}/${encodeURIComponent(stateKey)}`), {
    user,
    body: content,
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
}

async function hierarchy(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  query = '',
): Promise<{ status: number; body: unknown }> {
  const reply = await t.call(
    'GET',
    `${V1}/rooms/${encodeURIComponent(roomId)}/hierarchy${query === '' ? '' : `?${query}`}`,
    { user },
  )
  expectMatchesSpec(
    'client-server',
    'space_hierarchy.yaml',
    'GET',
    SPEC_PATH,
    reply.status,
    reply.body,
  )
  return reply
}

async function page(t: SyncTestServer, user: TestUser, roomId: string, query = ''): Promise<Page> {
  const reply = await hierarchy(t, user, roomId, query)
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return reply.body as Page
}

/**
 * A space and its tree, made by alice, with bob joined to the space:
 *
 *     space (public, m.space)
 *       ├── general   (public; order "a", suggested)
 *       ├── sub       (public m.space; order "b")
 *       │     ├── deep    (public, suggested)
 *       │     └── space   (a loop back to the root)
 *       ├── members   (restricted to the space's members; no order)
 *       ├── secret    (invite only; no order)
 *       ├── !elsewhere:other.example (not on this server)
 *       └── removed   (its child event emptied)
 */
async function buildSpace(t: SyncTestServer): Promise<{
  alice: TestUser
  bob: TestUser
  carol: TestUser
  ids: Record<'space' | 'general' | 'sub' | 'deep' | 'members' | 'secret' | 'removed', string>
}> {
  const alice = await t.users.user('alice')
  const bob = await t.users.user('bob')
  const carol = await t.users.user('carol')
  const space = await createRoom(t, alice, {
    preset: 'public_chat',
    name: 'The Space',
    topic: 'Everything',
    creation_content: { type: 'm.space' },
  })
  const general = await createRoom(t, alice, { preset: 'public_chat', name: 'General' })
  const sub = await createRoom(t, alice, {
    preset: 'public_chat',
    name: 'Sub',
    creation_content: { type: 'm.space' },
  })
  const deep = await createRoom(t, alice, { preset: 'public_chat', name: 'Deep' })
  const members = await createRoom(t, alice, {
    name: 'Members only',
    initial_state: [
      {
        type: 'm.room.join_rules',
        content: {
          join_rule: 'restricted',
          allow: [{ type: 'm.room_membership', room_id: space }],
        },
      },
    ],
  })
  const secret = await createRoom(t, alice, { preset: 'private_chat', name: 'Secret' })
  const removed = await createRoom(t, alice, { preset: 'public_chat', name: 'Removed' })
  const via = { via: ['example.org'] }
  await putState(t, alice, space, 'm.space.child', general, { ...via, order: 'a', suggested: true })
  await putState(t, alice, space, 'm.space.child', sub, { ...via, order: 'b' })
  await putState(t, alice, space, 'm.space.child', members, via)
  await putState(t, alice, space, 'm.space.child', secret, via)
  await putState(t, alice, space, 'm.space.child', '!elsewhere:other.example', via)
  await putState(t, alice, space, 'm.space.child', removed, via)
  await putState(t, alice, space, 'm.space.child', removed, {})
  await putState(t, alice, sub, 'm.space.child', deep, { ...via, suggested: true })
  await putState(t, alice, sub, 'm.space.child', space, via)
  expect((await t.call('POST', room(space, 'join'), { user: bob })).status).toBe(200)
  return { alice, bob, carol, ids: { space, general, sub, deep, members, secret, removed } }
}

for (const kind of roomTestStorages()) {
  describe(`GET /hierarchy on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('walks the space depth first in the spec order, showing only what bob may see', async () => {
      const t = await start()
      const { bob, ids } = await buildSpace(t)
      const body = await page(t, bob, ids.space)
      // members comes before secret and the remote room by the timestamps of their child events;
      // secret (invite only) and the remote room are left out; the loop back to space ends.
      expect(body.rooms.map((r) => r.room_id)).toEqual([
        ids.space,
        ids.general,
        ids.sub,
        ids.deep,
        ids.members,
      ])
      expect(body.next_batch).toBeUndefined()

      const [root, general, sub, , members] = body.rooms
      expect(root).toMatchObject({
        room_id: ids.space,
        name: 'The Space',
        topic: 'Everything',
        room_type: 'm.space',
        join_rule: 'public',
        num_joined_members: 2,
        world_readable: false,
        guest_can_join: false,
        room_version: '12',
      })
      // The root's children: all with a valid via, the ordered ones first, the emptied one not
      // among them (the rest, sent within a millisecond or so, go by timestamp then room ID).
      const children = root?.children_state.map((c) => c.state_key) ?? []
      expect(children.slice(0, 2)).toEqual([ids.general, ids.sub])
      expect(children.slice(2).sort()).toEqual(
        [ids.members, ids.secret, '!elsewhere:other.example'].sort(),
      )
      expect(root?.children_state[0]).toMatchObject({
        type: 'm.space.child',
        sender: '@alice:example.org',
        content: { via: ['example.org'], order: 'a', suggested: true },
      })
      expect(typeof root?.children_state[0]?.origin_server_ts).toBe('number')
      expect(general).toMatchObject({ name: 'General', num_joined_members: 1, children_state: [] })
      expect(general?.room_type).toBeUndefined()
      expect(sub?.children_state.map((c) => c.state_key).sort()).toEqual(
        [ids.deep, ids.space].sort(),
      )
      expect(members).toMatchObject({ join_rule: 'restricted', allowed_room_ids: [ids.space] })
    })

    it('applies suggested_only and max_depth', async () => {
      const t = await start()
      const { bob, ids } = await buildSpace(t)
      const suggested = await page(t, bob, ids.space, 'suggested_only=true')
      expect(suggested.rooms.map((r) => r.room_id)).toEqual([ids.space, ids.general])
      expect(suggested.rooms[0]?.children_state.map((c) => c.state_key)).toEqual([ids.general])

      const flat = await page(t, bob, ids.space, 'max_depth=0')
      expect(flat.rooms.map((r) => r.room_id)).toEqual([ids.space])
      const one = await page(t, bob, ids.space, 'max_depth=1')
      expect(one.rooms.map((r) => r.room_id)).toEqual([
        ids.space,
        ids.general,
        ids.sub,
        ids.members,
      ])
    })

    it('pages with next_batch, and refuses tokens that change the request', async () => {
      const t = await start()
      const { bob, ids } = await buildSpace(t)
      const seen: string[] = []
      let from: string | undefined
      let pages = 0
      do {
        const query = `limit=2${from === undefined ? '' : `&from=${encodeURIComponent(from)}`}`
        const body = await page(t, bob, ids.space, query)
        expect(body.rooms.length).toBeLessThanOrEqual(2)
        seen.push(...body.rooms.map((r) => r.room_id))
        from = body.next_batch
        pages++
      } while (from !== undefined)
      expect(pages).toBe(3)
      expect(seen).toEqual([ids.space, ids.general, ids.sub, ids.deep, ids.members])

      const first = await page(t, bob, ids.space, 'limit=1&max_depth=3')
      const token = first.next_batch ?? ''
      expect(token).not.toBe('')
      for (const query of [
        `from=${encodeURIComponent(token)}&max_depth=2`,
        `from=${encodeURIComponent(token)}&max_depth=3&suggested_only=true`,
        `from=${encodeURIComponent(token)}`,
        'from=nonsense',
      ]) {
        const reply = await hierarchy(t, bob, ids.space, query)
        expect(reply, query).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      // A token is for the room it was made for.
      const elsewhere = await hierarchy(
        t,
        bob,
        ids.sub,
        `from=${encodeURIComponent(token)}&max_depth=3`,
      )
      expect(elsewhere).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const next = await page(t, bob, ids.space, `from=${encodeURIComponent(token)}&max_depth=3`)
      expect(next.rooms[0]?.room_id).toBe(ids.general)
    })

    it('answers 403 for rooms the user may not see, and 400 for bad parameters', async () => {
      const t = await start()
      const { alice, bob, carol, ids } = await buildSpace(t)
      // carol is in none of the rooms: the public space shows, the restricted room not.
      const outsider = await page(t, carol, ids.space)
      expect(outsider.rooms.map((r) => r.room_id)).toEqual([
        ids.space,
        ids.general,
        ids.sub,
        ids.deep,
      ])
      for (const roomId of [ids.secret, ids.members, '!unknown:example.org']) {
        const reply = await hierarchy(t, carol, roomId)
        expect(reply, roomId).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      }
      const banned = await t.call('POST', room(ids.space, 'ban'), {
        user: alice,
        body: { user_id: bob.userId },
      })
      expect(banned.status).toBe(200)
      expect(await hierarchy(t, bob, ids.space)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      })

      for (const query of [
        'limit=0',
        'limit=-1',
        'limit=ten',
        'max_depth=-1',
        'max_depth=1.5',
        'suggested_only=yes',
      ]) {
        const reply = await hierarchy(t, alice, ids.space, query)
        expect(reply, query).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      const anonymous = await t.call(
        'GET',
        `${V1}/rooms/${encodeURIComponent(ids.space)}/hierarchy`,
      )
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      const badId = await t.call('GET', `${V1}/rooms/not-a-room/hierarchy`, { user: alice })
      expect(badId).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    it('shows world-readable and knockable rooms to those outside them', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const carol = await t.users.user('carol')
      const space = await createRoom(t, alice, {
        preset: 'private_chat',
        creation_content: { type: 'm.space' },
        initial_state: [
          { type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } },
        ],
      })
      const knock = await createRoom(t, alice, {
        initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }],
      })
      const oldKnock = await createRoom(t, alice, {
        room_version: '6',
        initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }],
      })
      for (const child of [knock, oldKnock]) {
        await putState(t, alice, space, 'm.space.child', child, { via: ['example.org'] })
      }
      const body = await page(t, carol, space)
      // Knocking does not exist in v6, so that room's `knock` rule lets nobody see it.
      expect(body.rooms.map((r) => r.room_id)).toEqual([space, knock])
      expect(body.rooms[0]).toMatchObject({ world_readable: true, join_rule: 'invite' })
      expect(body.rooms[1]).toMatchObject({ join_rule: 'knock', world_readable: false })
    })
  })
}
