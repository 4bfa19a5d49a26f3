/**
 * Receipts and push counts seen through matrix-js-sdk: a mention raises the mentioned user's
 * highlight count, their read receipt clears it (on their client and in the server's counts),
 * and the other member's client sees that receipt. Runs on SQLite and, when
 * RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import {
  MsgType,
  NotificationCountType,
  ReceiptType,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import type { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, eventually, registerAccount, type Account } from './harness/matrix-clients.js'
import { startSession, type Session } from './harness/session.js'

interface RawCounts {
  readonly notification_count: number
  readonly highlight_count: number
}

/** The counts the server reports in a fresh initial sync, read without the SDK. */
async function serverCounts(baseUrl: string, account: Account, roomId: string): Promise<RawCounts> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/sync?timeout=0`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as {
    rooms: { join: Record<string, { unread_notifications?: RawCounts }> }
  }
  const counts = body.rooms.join[roomId]?.unread_notifications
  if (counts === undefined) throw new Error(`no unread_notifications for ${roomId}`)
  return counts
}

describe.each(BACKENDS)('receipts and push counts ($name)', (backend) => {
  let server: HomeserverProcess
  let session: Session
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let roomId: string

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob'])
    server = session.server
    ;({ client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    // Three members, so that messages take the plain message rule, not the one-to-one one.
    const carol = await registerAccount(server.baseUrl, 'carol')
    const carolClient = clientFor(server.baseUrl, carol)
    const created = await aliceClient.createRoom({ invite: [bob.userId, carol.userId] })
    roomId = created.room_id
    await eventually(() => bobClient.getRoom(roomId)?.getMyMembership() === 'invite', 'the invite')
    await bobClient.joinRoom(roomId)
    await carolClient.joinRoom(roomId)
    await eventually(
      () => aliceClient.getRoom(roomId)?.getJoinedMemberCount() === 3,
      'three joined members',
    )
  }, 120_000)

  afterAll(async () => {
    await session.close()
  })

  function bobsEvent(eventId: string): MatrixEvent | undefined {
    return bobClient.getRoom(roomId)?.findEventById(eventId)
  }

  it('a mention raises the highlight count the mentioned user’s client shows', async () => {
    const plain = await aliceClient.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: 'hello all',
    })
    const mention = await aliceClient.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: 'bob: lunch?',
      'm.mentions': { user_ids: [bob.userId] },
    })
    await eventually(
      () => bobsEvent(plain.event_id) !== undefined && bobsEvent(mention.event_id) !== undefined,
      'both messages at bob',
    )
    const room = (): ReturnType<MatrixClient['getRoom']> => bobClient.getRoom(roomId)
    await eventually(
      () => room()?.getUnreadNotificationCount(NotificationCountType.Highlight) === 1,
      'a highlight for bob',
    )
    expect(room()?.getUnreadNotificationCount(NotificationCountType.Total)).toBe(2)
    expect(await serverCounts(server.baseUrl, bob, roomId)).toEqual({
      notification_count: 2,
      highlight_count: 1,
    })
    // Alice, the sender, has nothing unread.
    expect(
      aliceClient.getRoom(roomId)?.getUnreadNotificationCount(NotificationCountType.Total),
    ).toBe(0)
  })

  it('a read receipt clears the counts, and the other member sees the receipt', async () => {
    const room = bobClient.getRoom(roomId)
    const last = room?.getLiveTimeline().getEvents().at(-1)
    if (last === undefined) throw new Error('bob has no events')
    await bobClient.sendReadReceipt(last, ReceiptType.Read)
    await eventually(
      () =>
        bobClient.getRoom(roomId)?.getUnreadNotificationCount(NotificationCountType.Highlight) ===
          0 &&
        bobClient.getRoom(roomId)?.getUnreadNotificationCount(NotificationCountType.Total) === 0,
      'bob’s counts cleared',
    )
    expect(await serverCounts(server.baseUrl, bob, roomId)).toEqual({
      notification_count: 0,
      highlight_count: 0,
    })
    await eventually(
      () => aliceClient.getRoom(roomId)?.getEventReadUpTo(bob.userId, true) === last.getId(),
      'bob’s receipt at alice',
    )
  })

  it('a private receipt clears counts without showing to others', async () => {
    const sent = await aliceClient.sendMessage(roomId, { msgtype: MsgType.Text, body: 'more' })
    await eventually(() => bobsEvent(sent.event_id) !== undefined, 'the message at bob')
    await eventually(
      () =>
        bobClient.getRoom(roomId)?.getUnreadNotificationCount(NotificationCountType.Total) === 1,
      'one unread at bob',
    )
    const event = bobsEvent(sent.event_id)
    if (event === undefined) throw new Error('missing event')
    const previous = aliceClient.getRoom(roomId)?.getEventReadUpTo(bob.userId, true)
    await bobClient.sendReadReceipt(event, ReceiptType.ReadPrivate)
    await eventually(
      () =>
        bobClient.getRoom(roomId)?.getUnreadNotificationCount(NotificationCountType.Total) === 0,
      'bob’s count cleared privately',
    )
    expect((await serverCounts(server.baseUrl, bob, roomId)).notification_count).toBe(0)
    // Give alice's sync time to (wrongly) see it, then check it did not.
    const marker = await aliceClient.sendMessage(roomId, { msgtype: MsgType.Text, body: 'marker' })
    await eventually(
      () => aliceClient.getRoom(roomId)?.findEventById(marker.event_id) !== undefined,
      'alice’s marker',
    )
    expect(aliceClient.getRoom(roomId)?.getEventReadUpTo(bob.userId, true)).toBe(previous)
  })
})
