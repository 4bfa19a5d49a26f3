/**
 * Membership between two servers on loopback (over TLS from a CA the test makes), beyond plain
 * joins: an invite of a user of B, who sees it in /sync and joins through A (PUT /v2/invite,
 * make_join/send_join); an invite rejected from B (make_leave/send_leave), and one A takes back
 * (its kick reaches B in a transaction); a knock from B that
 * A's user answers with an invite (make_knock/send_knock); and a restricted room on A that B's
 * user may join as a member of the room it allows (A vouches with join_authorised_via_users_server).
 * One of the servers runs on PostgreSQL when RHIZOME_TEST_POSTGRES is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation } from './harness/federation.js'
import { registerAccount, type Account } from './harness/matrix-clients.js'

interface User {
  readonly baseUrl: string
  readonly account: Account
}

async function call(
  user: User,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${user.baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user.account.accessToken}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

async function ok(
  user: User,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const answer = await call(user, method, path, body)
  if (answer.status !== 200) {
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`)
  }
  return answer.json
}

type Section = 'join' | 'invite' | 'knock' | 'leave'

/** The rooms of one section of a full /sync. */
async function syncSection(user: User, section: Section): Promise<Record<string, unknown>> {
  const sync = await ok(user, 'GET', '/sync?timeout=0&full_state=true')
  const rooms = sync['rooms'] as Record<Section, Record<string, unknown>> | undefined
  return rooms?.[section] ?? {}
}

async function inSection(user: User, section: Section, roomId: string): Promise<unknown> {
  let found: unknown
  const deadline = Date.now() + 15_000
  while (found === undefined) {
    found = (await syncSection(user, section))[roomId]
    if (found !== undefined) break
    if (Date.now() > deadline) throw new Error(`${roomId} not under rooms.${section}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return found
}

async function membershipAt(user: User, roomId: string, userId: string): Promise<string> {
  const answer = await call(
    user,
    'GET',
    `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
  )
  return answer.status === 200 ? String(answer.json['membership']) : `none (${answer.status})`
}

async function eventuallyMember(
  user: User,
  roomId: string,
  userId: string,
  membership: string,
): Promise<void> {
  const deadline = Date.now() + 15_000
  let last = await membershipAt(user, roomId, userId)
  while (last !== membership) {
    if (Date.now() > deadline) throw new Error(`${userId} is ${last}, not ${membership}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    last = await membershipAt(user, roomId, userId)
  }
}

describe('membership across two servers', () => {
  let federation: Federation
  let alice: User
  let bob: User

  beforeAll(async () => {
    federation = await startFederation([...BACKENDS, ...BACKENDS].slice(0, 2).reverse())
    const [a, b] = federation.servers
    if (a === undefined || b === undefined) throw new Error('need two servers')
    alice = { baseUrl: a.server.baseUrl, account: await registerAccount(a.server.baseUrl, 'alice') }
    bob = { baseUrl: b.server.baseUrl, account: await registerAccount(b.server.baseUrl, 'bob') }
  }, 90_000)

  afterAll(async () => {
    await federation.close()
  })

  const serverA = (): string => federation.servers[0]?.serverName ?? ''

  async function createRoom(body: Record<string, unknown>): Promise<string> {
    const created = await ok(alice, 'POST', '/createRoom', body)
    return String(created['room_id'])
  }

  it('invites a user of B, who sees the invite in /sync and joins through A', async () => {
    const roomId = await createRoom({ preset: 'private_chat', name: 'Invited across' })
    await ok(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, {
      user_id: bob.account.userId,
    })
    const invited = (await inSection(bob, 'invite', roomId)) as {
      invite_state: { events: { type: string; content: Record<string, unknown> }[] }
    }
    const types = invited.invite_state.events.map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.member']))
    expect(invited.invite_state.events.find((e) => e.type === 'm.room.name')?.content['name']).toBe(
      'Invited across',
    )
    await ok(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {})
    await inSection(bob, 'join', roomId)
    await eventuallyMember(alice, roomId, bob.account.userId, 'join')
  }, 60_000)

  it('lets B’s user reject an invite, through A', async () => {
    const roomId = await createRoom({ preset: 'private_chat', name: 'Declined' })
    await ok(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, {
      user_id: bob.account.userId,
    })
    await inSection(bob, 'invite', roomId)
    await ok(bob, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, { reason: 'not now' })
    await eventuallyMember(alice, roomId, bob.account.userId, 'leave')
    expect(await syncSection(bob, 'invite')).not.toHaveProperty(roomId)
  }, 60_000)

  it('drops an invite from B’s /sync when A takes it back', async () => {
    const roomId = await createRoom({ preset: 'private_chat', name: 'Taken back' })
    await ok(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, {
      user_id: bob.account.userId,
    })
    await inSection(bob, 'invite', roomId)
    await ok(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/kick`, {
      user_id: bob.account.userId,
    })
    const deadline = Date.now() + 15_000
    while (roomId in (await syncSection(bob, 'invite'))) {
      if (Date.now() > deadline) throw new Error('the invite stayed')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }, 60_000)

  it('takes a knock from B, which A’s user answers with an invite, and B joins', async () => {
    const roomId = await createRoom({
      preset: 'private_chat',
      name: 'Knock first',
      room_version: '11',
      initial_state: [
        { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } },
      ],
    })
    await ok(bob, 'POST', `/knock/${encodeURIComponent(roomId)}?via=${serverA()}`, {
      reason: 'let me in',
    })
    const knocked = (await inSection(bob, 'knock', roomId)) as {
      knock_state: { events: { type: string }[] }
    }
    expect(knocked.knock_state.events.map((e) => e.type)).toContain('m.room.create')
    await eventuallyMember(alice, roomId, bob.account.userId, 'knock')
    await ok(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/invite`, {
      user_id: bob.account.userId,
    })
    await inSection(bob, 'invite', roomId)
    await ok(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {})
    await eventuallyMember(alice, roomId, bob.account.userId, 'join')
  }, 60_000)

  it('lets B’s user into a restricted room as a member of the space it allows', async () => {
    const space = await createRoom({
      preset: 'public_chat',
      name: 'The space',
      room_version: '10',
      creation_content: { type: 'm.space' },
    })
    const roomId = await createRoom({
      preset: 'private_chat',
      name: 'Members of the space only',
      room_version: '10',
      initial_state: [
        {
          type: 'm.room.join_rules',
          state_key: '',
          content: {
            join_rule: 'restricted',
            allow: [{ type: 'm.room_membership', room_id: space }],
          },
        },
      ],
    })
    const early = await call(
      bob,
      'POST',
      `/join/${encodeURIComponent(roomId)}?via=${serverA()}`,
      {},
    )
    expect(early.status).not.toBe(200)
    await ok(bob, 'POST', `/join/${encodeURIComponent(space)}?via=${serverA()}`, {})
    await eventuallyMember(alice, space, bob.account.userId, 'join')
    await ok(bob, 'POST', `/join/${encodeURIComponent(roomId)}?via=${serverA()}`, {})
    await eventuallyMember(alice, roomId, bob.account.userId, 'join')
    const member = await ok(
      alice,
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(bob.account.userId)}`,
    )
    expect(member['join_authorised_via_users_server']).toBe(alice.account.userId)
  }, 60_000)
})
