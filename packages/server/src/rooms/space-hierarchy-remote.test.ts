import { err, type JsonObject, type RoomId, type ServerName, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { createRemoteQueries } from '../federation/queries/remote-queries.js'
import { createRoomFederation } from '../federation/room-federation.js'
import type { Requester } from '../http/authenticate.js'
import type { Storage } from '../storage/interface.js'
import { captureLogs } from '../testing/capture-logs.js'
import { answer, FakeRequester } from '../testing/fake-key-servers.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { createRoomService, type RoomService } from './room-service.js'
import { mayShowRemoteRoom } from './space-hierarchy-remote.js'
import { MAX_HIERARCHY_ASKS, type HierarchyQuery } from './space-hierarchy.js'

const B = 'b.example' as ServerName
const DOWN = 'down.example' as ServerName
const C = 'c.example' as ServerName

const REMOTE = '!remote:b.example' as RoomId
const R1 = '!r1:b.example' as RoomId
const HIDDEN = '!hidden:b.example' as RoomId
const SECRET = '!secret:b.example' as RoomId
const MEMBERS = '!members:b.example' as RoomId
const BAD = '!bad:b.example' as RoomId
const SUB = '!sub:b.example' as RoomId
const DEEP = '!deep:b.example' as RoomId
const GONE = '!gone:c.example' as RoomId

const asRequester = (user: UserId): Requester => ({ userId: user, deviceId: 'D', isGuest: false })

const summary = (roomId: string, extra: JsonObject = {}): JsonObject => ({
  room_id: roomId,
  num_joined_members: 1,
  world_readable: false,
  guest_can_join: false,
  join_rule: 'public',
  ...extra,
})

const child = (stateKey: string, order: string, extra: JsonObject = {}): JsonObject => ({
  type: 'm.space.child',
  state_key: stateKey,
  sender: '@bob:b.example',
  content: { via: ['b.example'], order, ...extra },
  origin_server_ts: 1000,
})

/**
 * What b.example answers, by room: a space with children it describes (one of which only some
 * users may see, one restricted to a space on this server, one malformed, one a space of its
 * own), one it says nobody may see, and one that does not exist.
 */
function bAnswers(membersAllowed: RoomId): Map<RoomId, JsonObject> {
  return new Map<RoomId, JsonObject>([
    [
      REMOTE,
      {
        room: summary(REMOTE, {
          name: 'Remote space',
          room_type: 'm.space',
          num_joined_members: 7,
          children_state: [
            child(R1, 'a', { suggested: true }),
            child(HIDDEN, 'b'),
            child(SECRET, 'c'),
            child(MEMBERS, 'd'),
            child(BAD, 'e'),
            child(SUB, 'f'),
          ],
        }),
        children: [
          summary(R1, { name: 'R1', num_joined_members: 3 }),
          summary(HIDDEN, { join_rule: 'invite' }),
          summary(MEMBERS, { join_rule: 'restricted', allowed_room_ids: [membersAllowed] }),
          { room_id: BAD, world_readable: false, guest_can_join: false },
          summary(SUB, { room_type: 'm.space' }),
        ],
        inaccessible_children: [SECRET],
      },
    ],
    [
      SUB,
      {
        room: summary(SUB, {
          name: 'Sub',
          room_type: 'm.space',
          children_state: [child(DEEP, 'a')],
        }),
        children: [summary(DEEP, { name: 'Deep', world_readable: true, join_rule: 'invite' })],
        inaccessible_children: [],
      },
    ],
    [HIDDEN, { room: summary(HIDDEN, { join_rule: 'invite', children_state: [] }), children: [] }],
  ])
}

function roomOf(path: string): RoomId {
  return decodeURIComponent(path.split('/').at(-1) ?? '') as RoomId
}

async function setUp(storage: Storage, federated = true) {
  const requester = new FakeRequester()
  const federation = createRoomFederation({
    storage,
    serverName: SERVER_NAME,
    sender: undefined,
    remoteJoin: undefined,
    remote: federated ? createRemoteQueries(requester) : undefined,
    logger: captureLogs().logger,
  })
  const rooms = createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now: Date.now,
    federation,
  })
  const tag = Math.random().toString(36).slice(2, 8)
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => userId(`${name}-${tag}`))
  if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')
  for (const user of [alice, bob, carol]) {
    await storage.accounts.createUser({ userId: user, createdTs: 1 })
  }
  return { requester, rooms, alice, bob, carol }
}

async function createRoom(
  rooms: RoomService,
  creator: UserId,
  extra: { name?: string; creationContent?: JsonObject } = {},
): Promise<RoomId> {
  return must(
    await rooms.createRoom(asRequester(creator), {
      visibility: 'private',
      invite: [],
      initialState: [],
      preset: 'public_chat',
      isDirect: false,
      ...extra,
    }),
  )
}

async function addChild(
  rooms: RoomService,
  user: UserId,
  space: RoomId,
  roomId: string,
  content: JsonObject,
): Promise<void> {
  must(await rooms.sendState(asRequester(user), space, 'm.space.child', roomId, content))
}

/**
 * This server's space, made by alice and joined by bob:
 *
 *     space
 *       ├── general               (here; order "a")
 *       ├── !remote:b.example     (via down.example, then b.example; order "b", suggested)
 *       └── !gone:c.example       (nobody answers; order "c")
 */
async function buildSpace(t: Awaited<ReturnType<typeof setUp>>) {
  const { rooms, alice, bob, requester } = t
  const space = await createRoom(rooms, alice, {
    name: 'Space',
    creationContent: { type: 'm.space' },
  })
  const general = await createRoom(rooms, alice, { name: 'General' })
  await addChild(rooms, alice, space, general, { via: [SERVER_NAME], order: 'a' })
  await addChild(rooms, alice, space, REMOTE, { via: [DOWN, B], order: 'b', suggested: true })
  await addChild(rooms, alice, space, GONE, { via: [C], order: 'c' })
  must(await rooms.join(asRequester(bob), { kind: 'id', roomId: space }, {}))
  const answers = bAnswers(space)
  requester.on(B, (call) => {
    const body = answers.get(roomOf(call.path))
    return body === undefined
      ? err({ kind: 'http', status: 404, body: { errcode: 'M_NOT_FOUND' }, message: 'not found' })
      : answer(body)
  })
  return { space, general }
}

async function walk(
  rooms: RoomService,
  user: UserId,
  root: RoomId,
  query: Partial<HierarchyQuery> = {},
) {
  const page = await rooms.getHierarchy(asRequester(user), root, { suggestedOnly: false, ...query })
  return must(page)
}

describe('mayShowRemoteRoom', () => {
  const user = userId('dave', 'a.example')
  const joined = '!joined:a.example' as RoomId
  /** dave is joined to `joined`, invited to `!invited`, banned from `!banned`. */
  const rooms = {
    getMembership: (roomId: RoomId, member: UserId) => {
      const membership = new Map([
        [joined, 'join'],
        ['!invited:b.example', 'invite'],
        ['!banned:b.example', 'ban'],
      ]).get(roomId)
      return Promise.resolve(
        membership === undefined || member !== user
          ? undefined
          : { roomId, userId: member, membership, eventId: '$e' as never, streamPosition: 1 },
      )
    },
  }
  const room = (roomId: string, extra: JsonObject = {}) => ({
    room_id: roomId as RoomId,
    num_joined_members: 1,
    world_readable: false,
    guest_can_join: false,
    ...extra,
  })

  it('applies the spec rules to the description', async () => {
    const cases: [ReturnType<typeof room>, boolean][] = [
      [room('!a:b.example', { join_rule: 'public' }), true],
      [room('!b:b.example'), true],
      [room('!c:b.example', { join_rule: 'knock' }), true],
      [room('!d:b.example', { join_rule: 'knock_restricted' }), true],
      [room('!e:b.example', { join_rule: 'invite', world_readable: true }), true],
      [room('!f:b.example', { join_rule: 'invite' }), false],
      [room('!g:b.example', { join_rule: 'restricted', allowed_room_ids: [joined] }), true],
      [
        room('!h:b.example', { join_rule: 'restricted', allowed_room_ids: ['!x:b.example'] }),
        false,
      ],
      [room('!invited:b.example', { join_rule: 'invite' }), true],
      [room('!banned:b.example', { join_rule: 'public' }), false],
    ]
    for (const [description, shown] of cases) {
      expect(await mayShowRemoteRoom(rooms, description, user), description.room_id).toBe(shown)
    }
  })
})

for (const kind of roomTestStorages()) {
  describe(`GET /hierarchy with rooms of other servers, on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('describes the rooms other servers hold, as the requester may see them', async () => {
      const t = await setUp(await open())
      const { space, general } = await buildSpace(t)
      const page = await walk(t.rooms, t.bob, space)
      expectMatchesSpec(
        'client-server',
        'space_hierarchy.yaml',
        'GET',
        '/_matrix/client/v1/rooms/{roomId}/hierarchy',
        200,
        JSON.parse(JSON.stringify(page)),
      )
      // hidden is invite only, secret inaccessible, bad malformed and unknown, gone unanswered;
      // members is restricted to the space bob is in; deep is world-readable.
      expect(page.rooms.map((r) => r.room_id)).toEqual([
        space,
        general,
        REMOTE,
        R1,
        MEMBERS,
        SUB,
        DEEP,
      ])
      expect(page.next_batch).toBeUndefined()
      const [, , remote, r1, , sub, deep] = page.rooms
      expect(remote).toMatchObject({
        room_id: REMOTE,
        name: 'Remote space',
        room_type: 'm.space',
        num_joined_members: 7,
      })
      expect(remote?.children_state.map((e) => e.state_key)).toEqual([
        R1,
        HIDDEN,
        SECRET,
        MEMBERS,
        BAD,
        SUB,
      ])
      expect(r1).toEqual({
        room_id: R1,
        name: 'R1',
        num_joined_members: 3,
        world_readable: false,
        guest_can_join: false,
        join_rule: 'public',
        children_state: [],
      })
      expect(sub?.children_state.map((e) => e.state_key)).toEqual([DEEP])
      expect(deep).toMatchObject({ name: 'Deep', world_readable: true })

      // The first via server is unreachable; b.example is asked about the remote space, the
      // malformed child and the sub-space only: the other children come from its first answer.
      expect(t.requester.callsTo(DOWN).length).toBe(1)
      expect(t.requester.callsTo(C).length).toBe(1)
      expect(t.requester.callsTo(B).map((c) => roomOf(c.path))).toEqual([REMOTE, BAD, SUB])

      // carol is in no room: the restricted one is hidden from her.
      const outsider = await walk(t.rooms, t.carol, space)
      expect(outsider.rooms.map((r) => r.room_id)).toEqual([space, general, REMOTE, R1, SUB, DEEP])
      // Answers were kept: nobody was asked again.
      expect(t.requester.calls.length).toBe(5)
    })

    it('pages through remote rooms without asking again', async () => {
      const t = await setUp(await open())
      const { space } = await buildSpace(t)
      const whole = (await walk(t.rooms, t.bob, space)).rooms.map((r) => r.room_id)
      const asked = t.requester.calls.length
      const seen: RoomId[] = []
      let from: string | undefined
      let pages = 0
      do {
        const page = await walk(t.rooms, t.bob, space, {
          limit: 2,
          ...(from === undefined ? {} : { from }),
        })
        seen.push(...page.rooms.map((r) => r.room_id))
        from = page.next_batch
        pages++
      } while (from !== undefined)
      expect(seen).toEqual(whole)
      expect(pages).toBe(4)
      expect(t.requester.calls.length).toBe(asked)
    })

    it('asks with suggested_only and keeps only suggested children', async () => {
      const t = await setUp(await open())
      const { space } = await buildSpace(t)
      const page = await walk(t.rooms, t.bob, space, { suggestedOnly: true })
      expect(page.rooms.map((r) => r.room_id)).toEqual([space, REMOTE, R1])
      expect(page.rooms[1]?.children_state.map((e) => e.state_key)).toEqual([R1])
      expect(t.requester.callsTo(B).map((c) => c.query)).toEqual([{ suggested_only: 'true' }])
    })

    it('walks from a root on another server, and refuses one the requester may not see', async () => {
      const t = await setUp(await open())
      const { space } = await buildSpace(t)
      const page = await walk(t.rooms, t.bob, REMOTE, { maxDepth: 1 })
      expect(page.rooms.map((r) => r.room_id)).toEqual([REMOTE, R1, MEMBERS, SUB])
      expect(page.rooms.map((r) => r.room_id)).not.toContain(space)
      for (const root of [HIDDEN, '!unknown:b.example' as RoomId]) {
        const refused = await t.rooms.getHierarchy(asRequester(t.bob), root, {
          suggestedOnly: false,
        })
        expect(!refused.ok && refused.error.errcode, root).toBe('M_FORBIDDEN')
      }
    })

    it('asks nobody with federation off, nor for the answer to another server', async () => {
      const off = await setUp(await open(), false)
      const { space, general } = await buildSpace(off)
      const page = await walk(off.rooms, off.bob, space)
      expect(page.rooms.map((r) => r.room_id)).toEqual([space, general])
      expect(off.requester.calls).toEqual([])

      const on = await setUp(await open())
      const built = await buildSpace(on)
      const local = await walk(on.rooms, on.bob, built.space, { localOnly: true })
      expect(local.rooms.map((r) => r.room_id)).toEqual([built.space, built.general])
      expect(on.requester.calls).toEqual([])
    })

    it('ends a page early when it would ask too many servers, and carries on from there', async () => {
      const t = await setUp(await open())
      const space = await createRoom(t.rooms, t.alice, { creationContent: { type: 'm.space' } })
      const children: RoomId[] = []
      for (let i = 0; i < MAX_HIERARCHY_ASKS + 2; i++) {
        const roomId = `!s${String(i).padStart(2, '0')}:b.example` as RoomId
        children.push(roomId)
        await addChild(t.rooms, t.alice, space, roomId, {
          via: [B],
          order: String(i).padStart(2, '0'),
        })
      }
      t.requester.on(B, (call) =>
        answer({
          room: summary(roomOf(call.path), { room_type: 'm.space', children_state: [] }),
          children: [],
          inaccessible_children: [],
        }),
      )
      const first = await walk(t.rooms, t.alice, space)
      expect(first.rooms.map((r) => r.room_id)).toEqual([
        space,
        ...children.slice(0, MAX_HIERARCHY_ASKS),
      ])
      expect(first.next_batch).toBeDefined()
      const second = await walk(t.rooms, t.alice, space, { from: first.next_batch ?? '' })
      expect(second.rooms.map((r) => r.room_id)).toEqual(children.slice(MAX_HIERARCHY_ASKS))
      expect(second.next_batch).toBeUndefined()
      expect(t.requester.calls.length).toBe(children.length)
    })
  })
}
