/**
 * A room shared by two servers on loopback, over TLS from a CA the test makes: a user of server B
 * joins a room on server A through A (make_join, send_join), and messages from each side reach
 * the other through the outgoing queue and PUT /send, seen by matrix-js-sdk clients. One of the
 * servers runs on PostgreSQL when RHIZOME_TEST_POSTGRES is set.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { messageBodies, startFederation, type Federation } from './harness/federation.js'
import { clientFor, eventually, registerAccount, startSyncing } from './harness/matrix-clients.js'

describe('a room shared by two servers', () => {
  let federation: Federation
  const clients: MatrixClient[] = []

  beforeAll(async () => {
    federation = await startFederation([...BACKENDS, ...BACKENDS].slice(0, 2).reverse())
  }, 90_000)

  afterAll(async () => {
    for (const client of clients) client.stopClient()
    await federation.close()
  })

  it('lets a user of B join a room on A, and carries messages both ways', async () => {
    const [a, b] = federation.servers
    if (a === undefined || b === undefined) throw new Error('need two servers')
    const alice = clientFor(a.server.baseUrl, await registerAccount(a.server.baseUrl, 'alice'))
    const bob = clientFor(b.server.baseUrl, await registerAccount(b.server.baseUrl, 'bob'))
    clients.push(alice, bob)
    await startSyncing(alice)
    await startSyncing(bob)
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      name: 'Across servers',
    })
    await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: 'before Bob came' })

    const joined = await bob.joinRoom(roomId, { viaServers: [a.serverName] })
    expect(joined.roomId).toBe(roomId)
    await eventually(
      () => bob.getRoom(roomId)?.getMyMembership() === 'join',
      'Bob’s join at his own server',
    )
    expect(bob.getRoom(roomId)?.name).toBe('Across servers')
    await eventually(
      () => alice.getRoom(roomId)?.getMember(bob.getUserId() ?? '')?.membership === 'join',
      'Bob’s join at A',
    )

    await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hello from A' })
    await eventually(() => messageBodies(bob, roomId).includes('hello from A'), 'A’s message at B')
    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hello from B' })
    await eventually(
      () => messageBodies(alice, roomId).includes('hello from B'),
      'B’s message at A',
    )
    // Both servers hold the same current state.
    const stateAt = async (baseUrl: string, token: string): Promise<string[]> => {
      const response = await fetch(
        `${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
        { headers: { authorization: `Bearer ${token}` } },
      )
      const events = (await response.json()) as { event_id: string }[]
      return events.map((e) => e.event_id).sort()
    }
    expect(await stateAt(b.server.baseUrl, bob.getAccessToken() ?? '')).toEqual(
      await stateAt(a.server.baseUrl, alice.getAccessToken() ?? ''),
    )
  }, 60_000)
})
