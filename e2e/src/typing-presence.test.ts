/**
 * Typing notices, room tags and presence between matrix-js-sdk clients: what one client sets
 * reaches the other user's client (or the same user's other client) through sync. Runs on SQLite
 * and, when RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import { createClient, RoomMemberEvent, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import type { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, eventually, startSyncing, type Account } from './harness/matrix-clients.js'
import { joinOnInvite, startSession, type Session } from './harness/session.js'

/** Logs the account in again as a second device and returns a client for it, not syncing yet. */
async function secondDevice(baseUrl: string, account: Account): Promise<MatrixClient> {
  const anonymous = createClient({ baseUrl })
  const login = await anonymous.loginRequest({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: account.userId },
    password: account.password,
  })
  return clientFor(baseUrl, {
    ...account,
    accessToken: login.access_token,
    deviceId: login.device_id,
  })
}

describe.each(BACKENDS)('typing, tags and presence ($name)', (backend) => {
  let server: HomeserverProcess
  let session: Session
  let alice: Account
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let aliceLaptop: MatrixClient | undefined
  let roomId: string

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob'])
    server = session.server
    ;({ account: alice, client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    roomId = (await aliceClient.createRoom({ name: 'Typing', invite: [bob.userId] })).room_id
    await joinOnInvite(session.user('bob'), roomId, aliceClient)
  }, 120_000)

  afterAll(async () => {
    aliceLaptop?.stopClient()
    await session.close()
  })

  it("shows alice typing in bob's client, and stops", async () => {
    const typing = new Promise<boolean>((resolve) => {
      bobClient.on(RoomMemberEvent.Typing, (_event, member) => {
        if (member.userId === alice.userId && member.roomId === roomId && member.typing) {
          resolve(true)
        }
      })
    })
    // Bob's sync loop parks in its long-poll; the notice must wake it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await aliceClient.sendTyping(roomId, true, 30_000)
    expect(await typing).toBe(true)
    expect(bobClient.getRoom(roomId)?.getMember(alice.userId)?.typing).toBe(true)

    await aliceClient.sendTyping(roomId, false, 0)
    await eventually(
      () => bobClient.getRoom(roomId)?.getMember(alice.userId)?.typing === false,
      'the stop to reach bob',
    )
  })

  it('ends a typing notice at its timeout', async () => {
    await aliceClient.sendTyping(roomId, true, 500)
    await eventually(
      () => bobClient.getRoom(roomId)?.getMember(alice.userId)?.typing === true,
      'the notice to reach bob',
    )
    await eventually(
      () => bobClient.getRoom(roomId)?.getMember(alice.userId)?.typing === false,
      'the notice to expire in bob’s client',
    )
  })

  it("shows a tag set on one of alice's clients on her other client", async () => {
    const laptop = await secondDevice(server.baseUrl, alice)
    aliceLaptop = laptop
    await startSyncing(laptop)
    await aliceClient.setRoomTag(roomId, 'u.work', { order: 0.5 })
    await eventually(
      () => laptop.getRoom(roomId)?.tags['u.work'] !== undefined,
      'the tag to reach the laptop',
    )
    expect(laptop.getRoom(roomId)?.tags).toEqual({ 'u.work': { order: 0.5 } })
    const listed = await laptop.getRoomTags(roomId)
    expect(listed.tags).toEqual({ 'u.work': { order: 0.5 } })

    await aliceClient.deleteRoomTag(roomId, 'u.work')
    await eventually(
      () => laptop.getRoom(roomId)?.tags['u.work'] === undefined,
      'the removal to reach the laptop',
    )
    // Bob never sees alice's tags.
    expect(bobClient.getRoom(roomId)?.tags['u.work']).toBeUndefined()
  })

  it("shows alice's status message to bob", async () => {
    await aliceClient.setPresence({ presence: 'online', status_msg: 'Making cupcakes' })
    await eventually(
      () => bobClient.getUser(alice.userId)?.presenceStatusMsg === 'Making cupcakes',
      'the status message to reach bob',
    )
    expect(bobClient.getUser(alice.userId)?.presence).toBe('online')
    const read = await bobClient.getPresence(alice.userId)
    expect(read).toMatchObject({ presence: 'online', status_msg: 'Making cupcakes' })
  })
})
