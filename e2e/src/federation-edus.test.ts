/**
 * Typing notices, read receipts and presence across two servers (server-server-api §Typing
 * Notifications, §Receipts, §Presence): what a user of A does reaches the client of a user of B
 * in a room they share, through the EDUs of the outgoing queue and B's /sync, and the other way
 * round. One of the servers runs on PostgreSQL when RHIZOME_TEST_POSTGRES is set.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { messageBodies, startFederation, type Federation } from './harness/federation.js'
import { clientFor, eventually, registerAccount, startSyncing } from './harness/matrix-clients.js'

describe('typing, receipts and presence between two servers', () => {
  let federation: Federation
  let alice: MatrixClient
  let bob: MatrixClient
  let aliceId: string
  let bobId: string
  let roomId: string

  beforeAll(async () => {
    federation = await startFederation([...BACKENDS, ...BACKENDS].slice(0, 2))
    const [a, b] = federation.servers
    if (a === undefined || b === undefined) throw new Error('need two servers')
    alice = clientFor(a.server.baseUrl, await registerAccount(a.server.baseUrl, 'alice'))
    bob = clientFor(b.server.baseUrl, await registerAccount(b.server.baseUrl, 'bob'))
    aliceId = alice.getUserId() ?? ''
    bobId = bob.getUserId() ?? ''
    await startSyncing(alice)
    await startSyncing(bob)
    roomId = (await alice.createRoom({ preset: 'public_chat' as never, name: 'EDUs' })).room_id
    await bob.joinRoom(roomId, { viaServers: [a.serverName] })
    await eventually(
      () => alice.getRoom(roomId)?.getMember(bobId)?.membership === 'join',
      'Bob’s join at A',
    )
  }, 120_000)

  afterAll(async () => {
    alice.stopClient()
    bob.stopClient()
    await federation.close()
  })

  const typingAtB = (): boolean | undefined => bob.getRoom(roomId)?.getMember(aliceId)?.typing

  it('shows Alice typing in Bob’s client on the other server, and then stops', async () => {
    const started = Date.now()
    await alice.sendTyping(roomId, true, 30_000)
    await eventually(() => typingAtB() === true, 'Alice’s typing notice at B')
    console.log(`typing notice crossed in ${Date.now() - started} ms`)
    await alice.sendTyping(roomId, false, 0)
    await eventually(() => typingAtB() === false, 'the stop at B')
  }, 60_000)

  it('ends the notice at B when it times out at A', async () => {
    await alice.sendTyping(roomId, true, 1_000)
    await eventually(() => typingAtB() === true, 'Alice’s typing notice at B')
    // No stop is sent by the client: A's expiry of the notice sends it.
    await eventually(() => typingAtB() === false, 'the expiry at B', 10_000)
  }, 60_000)

  it('carries Bob’s read receipt to Alice’s server', async () => {
    await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: 'read me' })
    await eventually(() => messageBodies(bob, roomId).includes('read me'), 'the message at B')
    const event = bob
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getEvents()
      .find((e) => e.getContent()['body'] === 'read me')
    if (event === undefined) throw new Error('no event')
    await bob.sendReadReceipt(event)
    await eventually(
      () => alice.getRoom(roomId)?.getEventReadUpTo(bobId) === event.getId(),
      'Bob’s receipt at A',
    )
  }, 60_000)

  it('carries Alice’s presence to Bob’s server', async () => {
    await alice.setPresence({ presence: 'online', status_msg: 'Across the wire' })
    await eventually(
      () => bob.getUser(aliceId)?.presenceStatusMsg === 'Across the wire',
      'Alice’s presence at B',
    )
    expect(bob.getUser(aliceId)?.presence).toBe('online')
    // B answers for Alice from what A told it.
    expect(await bob.getPresence(aliceId)).toMatchObject({
      presence: 'online',
      status_msg: 'Across the wire',
    })
  }, 60_000)
})
