/**
 * Profiles and directories between matrix-js-sdk clients: a display name change reaches the other
 * member of a room as a new member event through sync; room aliases are made, resolved, listed and
 * removed; a published room shows in the room directory; the user directory finds a room-mate.
 * Runs on SQLite and, when RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import { EventTimeline, Preset, Visibility, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { eventually, type Account } from './harness/matrix-clients.js'
import { joinOnInvite, matrixFailure, startSession, type Session } from './harness/session.js'

/** The content of `userId`'s member event as the client's synced state has it. */
function memberContent(
  client: MatrixClient,
  roomId: string,
  userId: string,
): Record<string, unknown> | undefined {
  return client
    .getRoom(roomId)
    ?.getLiveTimeline()
    .getState(EventTimeline.FORWARDS)
    ?.getStateEvents('m.room.member', userId)
    ?.getContent()
}

describe.each(BACKENDS)('profiles and directories ($name)', (backend) => {
  let session: Session
  let alice: Account
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let roomId: string
  let serverName: string

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob'])
    ;({ account: alice, client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    serverName = alice.userId.slice(alice.userId.indexOf(':') + 1)
    roomId = (await aliceClient.createRoom({ name: 'Profiles', invite: [bob.userId] })).room_id
    await joinOnInvite(session.user('bob'), roomId, aliceClient)
  }, 120_000)

  afterAll(async () => {
    await session.close()
  })

  it('starts everyone with their localpart as display name, in their member events too', async () => {
    expect(await bobClient.getProfileInfo(alice.userId)).toEqual({ displayname: 'alice' })
    expect(memberContent(bobClient, roomId, alice.userId)).toMatchObject({
      membership: 'join',
      displayname: 'alice',
    })
    expect(memberContent(aliceClient, roomId, bob.userId)).toMatchObject({
      membership: 'join',
      displayname: 'bob',
    })
  })

  it("carries alice's new display name and avatar to bob through sync", async () => {
    await aliceClient.setDisplayName('Alice Liddell')
    await eventually(
      () => bobClient.getRoom(roomId)?.getMember(alice.userId)?.name === 'Alice Liddell',
      "alice's new name to reach bob",
    )
    expect(memberContent(bobClient, roomId, alice.userId)).toEqual({
      membership: 'join',
      displayname: 'Alice Liddell',
    })
    await aliceClient.setAvatarUrl('mxc://example.org/rabbit')
    await eventually(
      () =>
        memberContent(bobClient, roomId, alice.userId)?.['avatar_url'] ===
        'mxc://example.org/rabbit',
      "alice's avatar to reach bob",
    )
    expect(await bobClient.getProfileInfo(alice.userId)).toEqual({
      displayname: 'Alice Liddell',
      avatar_url: 'mxc://example.org/rabbit',
    })
    expect(await bobClient.getProfileInfo(alice.userId, 'displayname')).toEqual({
      displayname: 'Alice Liddell',
    })
    const bad = await matrixFailure(aliceClient.setAvatarUrl('https://example.org/rabbit.png'))
    expect([bad.httpStatus, bad.errcode]).toEqual([400, 'M_INVALID_PARAM'])
  })

  it('makes, resolves, lists and removes a room alias', async () => {
    const alias = `#wonderland:${serverName}`
    await aliceClient.createAlias(alias, roomId)
    expect(await bobClient.getRoomIdForAlias(alias)).toEqual({
      room_id: roomId,
      servers: [serverName],
    })
    expect(await bobClient.getLocalAliases(roomId)).toEqual({ aliases: [alias] })
    const taken = await matrixFailure(bobClient.createAlias(alias, roomId))
    expect(taken.httpStatus).toBe(409)
    const refused = await matrixFailure(bobClient.deleteAlias(alias))
    expect([refused.httpStatus, refused.errcode]).toEqual([403, 'M_FORBIDDEN'])
    await aliceClient.deleteAlias(alias)
    const gone = await matrixFailure(bobClient.getRoomIdForAlias(alias))
    expect([gone.httpStatus, gone.errcode]).toEqual([404, 'M_NOT_FOUND'])
  })

  it('lists a published room in the room directory', async () => {
    const published = await aliceClient.createRoom({
      name: 'Tea Party',
      topic: 'Why is a raven like a writing-desk?',
      visibility: Visibility.Public,
      preset: Preset.PublicChat,
      room_alias_name: 'teaparty',
    })
    const listing = await bobClient.publicRooms({ limit: 10 })
    expect(listing.chunk).toEqual([
      {
        room_id: published.room_id,
        num_joined_members: 1,
        world_readable: false,
        guest_can_join: false,
        join_rule: 'public',
        name: 'Tea Party',
        topic: 'Why is a raven like a writing-desk?',
        canonical_alias: `#teaparty:${serverName}`,
      },
    ])
    const searched = await bobClient.publicRooms({ filter: { generic_search_term: 'RAVEN' } })
    expect(searched.chunk.map((room) => room.room_id)).toEqual([published.room_id])
    const none = await bobClient.publicRooms({ filter: { generic_search_term: 'croquet' } })
    expect(none.chunk).toEqual([])

    await bobClient.joinRoom(published.room_id)
    const joined = await bobClient.publicRooms({})
    expect(joined.chunk.map((room) => [room.room_id, room.num_joined_members])).toEqual([
      [published.room_id, 2],
    ])

    // Only the room's moderators (and server admins) may publish or hide it.
    expect(await bobClient.getRoomDirectoryVisibility(roomId)).toEqual({ visibility: 'private' })
    const refused = await matrixFailure(
      bobClient.setRoomDirectoryVisibility(published.room_id, Visibility.Private),
    )
    expect([refused.httpStatus, refused.errcode]).toEqual([403, 'M_FORBIDDEN'])
    await aliceClient.setRoomDirectoryVisibility(published.room_id, Visibility.Private)
    expect(await bobClient.getRoomDirectoryVisibility(published.room_id)).toEqual({
      visibility: 'private',
    })
    expect((await bobClient.publicRooms({})).chunk).toEqual([])
  })

  it('finds a room-mate in the user directory', async () => {
    const byName = await bobClient.searchUserDirectory({ term: 'lidd' })
    expect(byName).toEqual({
      results: [
        {
          user_id: alice.userId,
          display_name: 'Alice Liddell',
          avatar_url: 'mxc://example.org/rabbit',
        },
      ],
      limited: false,
    })
    const byId = await aliceClient.searchUserDirectory({ term: bob.userId })
    expect(byId.results.map((user) => user.user_id)).toEqual([bob.userId])
    const nobody = await aliceClient.searchUserDirectory({ term: 'dodo' })
    expect(nobody).toEqual({ results: [], limited: false })
  })
})
