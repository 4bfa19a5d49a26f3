/**
 * A room stays joinable while one of its servers is down: B's user is in a room on A, B is
 * killed, and a user of C, which never spoke to B, joins through A. C cannot fetch B's key from B,
 * so it asks A, which checked B's events and holds B's key, as a notary; then messages flow
 * between A and C.
 */
import { MsgType } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { messageBodies, useThreeServers } from './harness/federation.js'
import { clientFor, eventually, registerAccount, startSyncing } from './harness/matrix-clients.js'

describe('joining a room while one of its servers is down', () => {
  const servers = useThreeServers()
  const { clients } = servers

  it('takes the down server’s key from the server joined through', async () => {
    const [a, b, c] = servers.federation().servers
    if (a === undefined || b === undefined || c === undefined) throw new Error('need 3 servers')
    const alice = clientFor(a.server.baseUrl, await registerAccount(a.server.baseUrl, 'alice'))
    const bob = clientFor(b.server.baseUrl, await registerAccount(b.server.baseUrl, 'bob'))
    const carol = clientFor(c.server.baseUrl, await registerAccount(c.server.baseUrl, 'carol'))
    clients.push(alice, bob, carol)
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      room_alias_name: 'down',
    })
    await bob.joinRoom(roomId, { viaServers: [a.serverName] })
    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: 'bob was here' })
    await b.server.kill()

    await startSyncing(carol)
    const joined = await carol.joinRoom(`#down:${a.serverName}`)
    expect(joined.roomId).toBe(roomId)
    await eventually(
      () => carol.getRoom(roomId)?.getMember(bob.getUserId() ?? '')?.membership === 'join',
      'bob as a member at C',
    )
    await startSyncing(alice)
    await carol.sendMessage(roomId, { msgtype: MsgType.Text, body: 'carol made it' })
    await eventually(
      () => messageBodies(alice, roomId).includes('carol made it'),
      'carol’s message at A',
    )
  }, 90_000)
})
