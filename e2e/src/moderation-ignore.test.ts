/**
 * Moderation, ignoring and reporting between matrix-js-sdk clients: a ban keeps a user out,
 * account data is private, an ignored user's messages stop reaching the ignorer, a report is
 * taken and stored, and /messages honours contains_url and not_senders. Runs on SQLite and, when
 * RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import { Method, MsgType, Preset, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import type { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, eventually, registerAccount, type Account } from './harness/matrix-clients.js'
import { matrixFailure, startSession, type Session } from './harness/session.js'

function bodiesIn(client: MatrixClient, roomId: string): string[] {
  return (
    client
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getEvents()
      .filter((event) => event.getType() === 'm.room.message')
      .map((event) => String(event.getContent()['body'])) ?? []
  )
}

interface Chunk {
  readonly chunk: { type: string; sender: string; content: Record<string, unknown> }[]
}

describe.each(BACKENDS)('moderation, ignoring and reports ($name)', (backend) => {
  let server: HomeserverProcess
  let session: Session
  let alice: Account
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let carolClient: MatrixClient
  let roomId: string

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob', 'carol'], { parallelSync: true })
    server = session.server
    ;({ account: alice, client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    ;({ client: carolClient } = session.user('carol'))
    roomId = (await aliceClient.createRoom({ name: 'Moderated', preset: Preset.PublicChat }))
      .room_id
    await bobClient.joinRoom(roomId)
    await carolClient.joinRoom(roomId)
    await eventually(
      () => aliceClient.getRoom(roomId)?.getJoinedMemberCount() === 3,
      'bob and carol to join',
    )
  }, 120_000)

  afterAll(async () => {
    await session.close()
  })

  it("refuses to show one user another's account data", async () => {
    const path = `/user/${encodeURIComponent(alice.userId)}/account_data/org.example.secret`
    await aliceClient.http.authedRequest(Method.Put, path, undefined, { pin: '1234' })
    const denied = await matrixFailure(bobClient.http.authedRequest(Method.Get, path))
    expect(denied.httpStatus).toBe(403)
    expect(denied.errcode).toBe('M_FORBIDDEN')
    const own = await aliceClient.http.authedRequest<Record<string, unknown>>(Method.Get, path)
    expect(own).toEqual({ pin: '1234' })
  })

  it('filters /messages by contains_url and not_senders', async () => {
    await carolClient.sendMessage(roomId, {
      msgtype: MsgType.Image,
      body: 'cat.png',
      url: 'mxc://example.org/cat',
    })
    await bobClient.sendMessage(roomId, {
      msgtype: MsgType.File,
      body: 'bob.pdf',
      url: 'mxc://example.org/bob',
    })
    await bobClient.sendTextMessage(roomId, 'plain from bob')
    await carolClient.sendTextMessage(roomId, 'plain from carol')

    const messages = (filter: object, limit = 10): Promise<Chunk> =>
      aliceClient.http.authedRequest<Chunk>(
        Method.Get,
        `/rooms/${encodeURIComponent(roomId)}/messages`,
        { dir: 'b', limit: String(limit), filter: JSON.stringify(filter) },
      )
    const bodies = (page: Chunk): unknown[] =>
      page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content['body'])

    expect(bodies(await messages({ contains_url: true }))).toEqual(['bob.pdf', 'cat.png'])
    // The filter runs before the limit: one asked, one matching event returned.
    expect(bodies(await messages({ contains_url: true }, 1))).toEqual(['bob.pdf'])
    expect(bodies(await messages({ contains_url: false, types: ['m.room.message'] }, 2))).toEqual([
      'plain from carol',
      'plain from bob',
    ])
    const notBob = await messages({ not_senders: [bob.userId], types: ['m.room.message'] }, 2)
    expect(notBob.chunk.every((e) => e.sender !== bob.userId)).toBe(true)
    expect(bodies(notBob)).toEqual(['plain from carol', 'cat.png'])
  })

  it("hides an ignored user's messages from the ignorer's sync", async () => {
    await aliceClient.setIgnoredUsers([bob.userId])
    await eventually(() => aliceClient.isUserIgnored(bob.userId), 'the ignore list to sync back')
    await bobClient.sendTextMessage(roomId, 'bob talks to the void')
    await carolClient.sendTextMessage(roomId, 'carol after bob')
    await eventually(
      () => bodiesIn(aliceClient, roomId).includes('carol after bob'),
      "carol's message to reach alice",
    )
    expect(bodiesIn(aliceClient, roomId)).not.toContain('bob talks to the void')
    // Carol, who ignores nobody, sees both.
    await eventually(
      () => bodiesIn(carolClient, roomId).includes('bob talks to the void'),
      "bob's message to reach carol",
    )
    await aliceClient.setIgnoredUsers([])
    await eventually(() => !aliceClient.isUserIgnored(bob.userId), 'the emptied list to sync')
    await bobClient.sendTextMessage(roomId, 'bob is heard again')
    await eventually(
      () => bodiesIn(aliceClient, roomId).includes('bob is heard again'),
      "bob's new message to reach alice",
    )
  })

  it('takes a report of an event and stores it', async () => {
    const { event_id: eventId } = await bobClient.sendTextMessage(roomId, 'something nasty')
    await eventually(
      () => aliceClient.getRoom(roomId)?.findEventById(eventId) !== undefined,
      'the message to reach alice',
    )
    const answer = await aliceClient.reportEvent(roomId, eventId, -100, 'this makes me sad')
    expect(answer).toEqual({})
    // The server logs each report once it is in the database, with the ID the database gave it.
    await eventually(() => server.output.includes('"msg":"event reported"'), 'the report log')
    const line = server.output
      .split('\n')
      .find((entry) => entry.includes('"msg":"event reported"') && entry.includes(eventId))
    expect(line).toBeDefined()
    const logged = JSON.parse(line ?? '{}') as Record<string, unknown>
    expect(logged).toMatchObject({ reporter: alice.userId, roomId, eventId, sender: bob.userId })
    expect(typeof logged['reportId']).toBe('number')
    expect(server.output).not.toContain('this makes me sad')

    // Someone not in the room cannot report it, and learns nothing about it.
    const outsider = clientFor(server.baseUrl, await registerAccount(server.baseUrl, 'dave'))
    const hidden = await matrixFailure(outsider.reportEvent(roomId, eventId, -100, 'x'))
    expect(hidden.httpStatus).toBe(404)
    expect(hidden.errcode).toBe('M_NOT_FOUND')
  })

  it('keeps a banned user out', async () => {
    await aliceClient.ban(roomId, bob.userId, 'enough')
    await eventually(
      () => bobClient.getRoom(roomId)?.getMyMembership() === 'ban',
      'the ban to reach bob',
    )
    const rejoin = await matrixFailure(bobClient.joinRoom(roomId))
    expect(rejoin.httpStatus).toBe(403)
    expect(rejoin.errcode).toBe('M_FORBIDDEN')
    // Carol, with no power, can neither unban nor kick.
    const unban = await matrixFailure(carolClient.unban(roomId, bob.userId))
    expect(unban.errcode).toBe('M_FORBIDDEN')
    await aliceClient.unban(roomId, bob.userId)
    await bobClient.joinRoom(roomId)
    await eventually(
      () => aliceClient.getRoom(roomId)?.getMember(bob.userId)?.membership === 'join',
      'bob to be back',
    )
  })
})
