/**
 * Three servers share a room: A, B and C each have their own database (one on PostgreSQL when
 * RHIZOME_TEST_POSTGRES is set), over TLS from a CA the test makes. Users of B and C join a room
 * created on A by its alias; messages from each user reach the other two; all three servers end
 * with the same room state and the same events.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { messageBodies, useThreeServers } from './harness/federation.js'
import { clientFor, eventually, registerAccount, startSyncing } from './harness/matrix-clients.js'

async function get(baseUrl: string, token: string, path: string): Promise<unknown> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(response.status).toBe(200)
  return response.json()
}

describe('three servers sharing a room', () => {
  const servers = useThreeServers()
  const { clients } = servers

  it('joins by alias, carries every message to the two others, and agrees on the room', async () => {
    const { servers: started } = servers.federation()
    const users: MatrixClient[] = []
    for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
      const server = started[i]
      if (server === undefined) throw new Error('need three servers')
      const client = clientFor(
        server.server.baseUrl,
        await registerAccount(server.server.baseUrl, name),
      )
      clients.push(client)
      users.push(client)
      await startSyncing(client)
    }
    const [alice, bob, carol] = users as [MatrixClient, MatrixClient, MatrixClient]
    const a = started[0]
    if (a === undefined) throw new Error('no A')
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      room_alias_name: 'shared',
      name: 'Three servers',
    })
    const alias = `#shared:${a.serverName}`
    for (const user of [bob, carol]) {
      const joined = await user.joinRoom(alias)
      expect(joined.roomId).toBe(roomId)
    }
    for (const user of users) {
      await eventually(
        () => user.getRoom(roomId)?.getJoinedMemberCount() === 3,
        `three members at ${user.getUserId() ?? ''}`,
      )
    }
    for (const [i, user] of users.entries()) {
      await user.sendMessage(roomId, { msgtype: MsgType.Text, body: `message ${i}` })
    }
    for (const user of users) {
      await eventually(
        () => [0, 1, 2].every((i) => messageBodies(user, roomId).includes(`message ${i}`)),
        `every message at ${user.getUserId() ?? ''}`,
      )
    }
    // The same state and the same events everywhere.
    const views = await Promise.all(
      users.map(async (user, i) => {
        const baseUrl = started[i]?.server.baseUrl ?? ''
        const token = user.getAccessToken() ?? ''
        const room = encodeURIComponent(roomId)
        const state = (await get(baseUrl, token, `/rooms/${room}/state`)) as { event_id: string }[]
        const page = (await get(baseUrl, token, `/rooms/${room}/messages?dir=b&limit=100`)) as {
          chunk: { event_id: string; type: string }[]
        }
        return {
          state: state.map((e) => e.event_id).sort(),
          messages: page.chunk
            .filter((e) => e.type === 'm.room.message')
            .map((e) => e.event_id)
            .sort(),
        }
      }),
    )
    expect(views[1]?.state).toEqual(views[0]?.state)
    expect(views[2]?.state).toEqual(views[0]?.state)
    // The three messages, the same events on every server (history before a server joined is
    // not fetched yet: each holds its room from its own join on).
    expect(views[0]?.messages).toHaveLength(3)
    expect(views[1]?.messages).toEqual(views[0]?.messages)
    expect(views[2]?.messages).toEqual(views[0]?.messages)
  }, 90_000)
})
