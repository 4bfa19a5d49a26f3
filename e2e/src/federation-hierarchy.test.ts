/**
 * A space that reaches into another server, across two real servers federating over TLS: the
 * admin of a space on server A adds as its child a public space that a user of server B made on
 * B, with `via` naming B. A user of A asks A for the space's hierarchy and sees B's space with its
 * name and member count, and B's space's own public children, which A learns from B's answer to
 * `GET /_matrix/federation/v1/hierarchy`; B's invite-only child stays hidden. Paging through the
 * same hierarchy gives the same rooms. One of the servers runs on PostgreSQL when
 * RHIZOME_TEST_POSTGRES is set.
 */
import { EventType, Preset, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation, type FederatedServer } from './harness/federation.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'

interface Chunk {
  readonly room_id: string
  readonly name?: string
  readonly room_type?: string
  readonly join_rule?: string
  readonly num_joined_members: number
  readonly children_state: readonly { readonly state_key: string }[]
}

interface Page {
  readonly rooms: readonly Chunk[]
  readonly next_batch?: string
}

async function hierarchy(
  server: FederatedServer,
  account: Account,
  roomId: string,
  query = '',
): Promise<{ status: number; body: Page }> {
  const response = await fetch(
    `${server.server.baseUrl}/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/hierarchy${query}`,
    { headers: { authorization: `Bearer ${account.accessToken}` } },
  )
  return { status: response.status, body: (await response.json()) as Page }
}

describe('a space with a child on another server', () => {
  let federation: Federation
  let a: FederatedServer
  let b: FederatedServer

  beforeAll(async () => {
    // A on the first backend, B on the last (PostgreSQL when it is there, SQLite otherwise).
    federation = await startFederation([BACKENDS[0], BACKENDS.at(-1)].flatMap((x) => x ?? []))
    const [first, second] = federation.servers
    if (first === undefined || second === undefined) throw new Error('need two servers')
    a = first
    b = second
  }, 90_000)

  afterAll(async () => {
    await federation.close()
  })

  it('shows the rooms of the other server, with their names, members and children', async () => {
    const admin = await registerAccount(a.server.baseUrl, 'admin')
    const alice = await registerAccount(a.server.baseUrl, 'alice')
    const bob = await registerAccount(b.server.baseUrl, 'bob')
    const bert = await registerAccount(b.server.baseUrl, 'bert')
    const adminClient: MatrixClient = clientFor(a.server.baseUrl, admin)
    const bobClient: MatrixClient = clientFor(b.server.baseUrl, bob)

    // On B: bob's public space with two children, one public, one invite only; bert joins it.
    const garden = (
      await bobClient.createRoom({
        name: 'Garden',
        preset: Preset.PublicChat,
        creation_content: { type: 'm.space' },
      })
    ).room_id
    const roses = (await bobClient.createRoom({ name: 'Roses', preset: Preset.PublicChat })).room_id
    const shed = (await bobClient.createRoom({ name: 'Shed', preset: Preset.PrivateChat })).room_id
    await bobClient.sendStateEvent(
      garden,
      EventType.SpaceChild,
      { via: [b.serverName], order: 'a' },
      roses,
    )
    await bobClient.sendStateEvent(
      garden,
      EventType.SpaceChild,
      { via: [b.serverName], order: 'b' },
      shed,
    )
    await clientFor(b.server.baseUrl, bert).joinRoom(garden)

    // On A: the admin's public space, with a room of its own and B's space as children.
    const club = (
      await adminClient.createRoom({
        name: 'Club',
        preset: Preset.PublicChat,
        creation_content: { type: 'm.space' },
      })
    ).room_id
    const lobby = (await adminClient.createRoom({ name: 'Lobby', preset: Preset.PublicChat }))
      .room_id
    await adminClient.sendStateEvent(
      club,
      EventType.SpaceChild,
      { via: [a.serverName], order: 'a' },
      lobby,
    )
    await adminClient.sendStateEvent(
      club,
      EventType.SpaceChild,
      { via: [b.serverName], order: 'b' },
      garden,
    )

    const started = Date.now()
    const whole = await hierarchy(a, alice, club)
    console.log(`A's hierarchy with B's space, first asked: ${Date.now() - started} ms`)
    expect(whole.status, JSON.stringify(whole.body)).toBe(200)
    expect(whole.body.rooms.map((r) => r.room_id)).toEqual([club, lobby, garden, roses])
    expect(whole.body.next_batch).toBeUndefined()
    const [, , gardenChunk, rosesChunk] = whole.body.rooms
    expect(gardenChunk).toMatchObject({
      room_id: garden,
      name: 'Garden',
      room_type: 'm.space',
      join_rule: 'public',
      num_joined_members: 2,
    })
    expect(gardenChunk?.children_state.map((e) => e.state_key)).toEqual([roses, shed])
    expect(rosesChunk).toMatchObject({ room_id: roses, name: 'Roses', num_joined_members: 1 })

    // Page by page, from the answers A keeps.
    const seen: string[] = []
    let from: string | undefined
    do {
      const query = `?limit=1${from === undefined ? '' : `&from=${encodeURIComponent(from)}`}`
      const page = await hierarchy(a, alice, club, query)
      expect(page.status, JSON.stringify(page.body)).toBe(200)
      seen.push(...page.body.rooms.map((r) => r.room_id))
      from = page.body.next_batch
    } while (from !== undefined)
    expect(seen).toEqual([club, lobby, garden, roses])
  }, 60_000)
})
