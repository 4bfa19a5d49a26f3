/**
 * A partition, then conflicting state: while nothing can reach B, an admin on A bans Bob, a
 * user of B who had left, and sets the room's name; meanwhile B, not knowing of the ban, lets
 * Bob join again and send messages, and Bea on B sets the topic. When the link heals, every
 * server must settle on the same state: Bob banned (state resolution orders the ban, a power
 * event, before his join, which the ban then refuses), with both the name and the topic kept.
 * Bob's messages from the partition are never shown to A's and C's users.
 */
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { useThreeServers, type FederatedServer } from './harness/federation.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'

interface StateEvent {
  readonly type: string
  readonly state_key: string
  readonly event_id: string
  readonly content: Record<string, unknown>
}

async function clientApi<T>(server: FederatedServer, account: Account, path: string): Promise<T> {
  const response = await fetch(`${server.server.baseUrl}/_matrix/client/v3${path}`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  })
  if (response.status !== 200) {
    throw new Error(`${path}: ${response.status} ${await response.text()}`)
  }
  return (await response.json()) as T
}

/** Polls an async check until it holds. */
async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function stateOf(
  events: readonly StateEvent[],
  type: string,
  stateKey = '',
): StateEvent | undefined {
  return events.find((e) => e.type === type && e.state_key === stateKey)
}

describe('conflicting state changes across a partition', () => {
  const servers = useThreeServers({ linkProxies: true })
  const { clients } = servers

  it('every server settles on the same state once the partition heals', async () => {
    const federation = servers.federation()
    const [a, b, c] = federation.servers
    if (a === undefined || b === undefined || c === undefined) throw new Error('need 3 servers')
    const link = b.link
    if (link === undefined) throw new Error('B has no link to cut')
    const aliceAccount = await registerAccount(a.server.baseUrl, 'alice')
    const bobAccount = await registerAccount(b.server.baseUrl, 'bob')
    const beaAccount = await registerAccount(b.server.baseUrl, 'bea')
    const carolAccount = await registerAccount(c.server.baseUrl, 'carol')
    const alice = clientFor(a.server.baseUrl, aliceAccount)
    const bob = clientFor(b.server.baseUrl, bobAccount)
    const bea = clientFor(b.server.baseUrl, beaAccount)
    const carol = clientFor(c.server.baseUrl, carolAccount)
    clients.push(alice, bob, bea, carol)
    const viewers: [FederatedServer, Account][] = [
      [a, aliceAccount],
      [b, beaAccount],
      [c, carolAccount],
    ]
    const roomState = (server: FederatedServer, account: Account): Promise<StateEvent[]> =>
      clientApi<StateEvent[]>(server, account, `/rooms/${encodeURIComponent(roomId)}/state`)
    const membershipOf = async (
      server: FederatedServer,
      account: Account,
      userId: string,
    ): Promise<unknown> =>
      stateOf(await roomState(server, account), 'm.room.member', userId)?.content['membership']

    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      room_alias_name: 'partition',
      // Bea may set the topic.
      power_level_content_override: {
        users: { [beaAccount.userId]: 50 },
      },
    })
    const alias = `#partition:${a.serverName}`
    for (const user of [bob, bea, carol] as MatrixClient[]) await user.joinRoom(alias)
    await bob.leave(roomId)
    for (const [server, account] of viewers) {
      await until(
        async () => (await membershipOf(server, account, bobAccount.userId)) === 'leave',
        `Bob's leave on ${server.serverName}`,
      )
    }

    // The partition: nothing reaches B.
    link.cut()
    await alice.ban(roomId, bobAccount.userId, 'banned during the partition')
    await alice.setRoomName(roomId, 'named on A')
    await until(
      async () => (await membershipOf(c, carolAccount, bobAccount.userId)) === 'ban',
      'the ban on C',
    )
    // B has not heard of the ban: Bob joins again through it, and talks.
    await bob.joinRoom(roomId)
    const bobsMessages: string[] = []
    for (let i = 0; i < 3; i++) {
      const sent = await bob.sendMessage(roomId, {
        msgtype: MsgType.Text,
        body: `from the banned ${i}`,
      })
      bobsMessages.push(sent.event_id)
    }
    await bea.setRoomTopic(roomId, 'topic from B')
    expect(await membershipOf(b, beaAccount, bobAccount.userId)).toBe('join')
    // A and C hear B, but the ban stands there: Bob's join does not change their state.
    await until(
      async () =>
        stateOf(await roomState(a, aliceAccount), 'm.room.topic')?.content['topic'] ===
        'topic from B',
      'the topic on A',
    )
    expect(await membershipOf(a, aliceAccount, bobAccount.userId)).toBe('ban')

    // The link heals; B's next event shows the others it is back, and they send it what it missed.
    link.heal()
    await bea.sendMessage(roomId, { msgtype: MsgType.Text, body: 'the link is back' })
    for (const [server, account] of viewers) {
      await until(
        async () => (await membershipOf(server, account, bobAccount.userId)) === 'ban',
        `the ban on ${server.serverName}`,
      )
    }
    // The same state everywhere, with both sides' non-conflicting changes.
    let views: string[][] = []
    await until(async () => {
      views = await Promise.all(
        viewers.map(async ([server, account]) =>
          (await roomState(server, account)).map((e) => e.event_id).sort(),
        ),
      )
      return views.every((view) => JSON.stringify(view) === JSON.stringify(views[0]))
    }, 'the same state on every server')
    for (const [server, account] of viewers) {
      const state = await roomState(server, account)
      expect(stateOf(state, 'm.room.name')?.content['name']).toBe('named on A')
      expect(stateOf(state, 'm.room.topic')?.content['topic']).toBe('topic from B')
      expect(stateOf(state, 'm.room.member', bobAccount.userId)?.content['membership']).toBe('ban')
    }
    // What Bob sent while banned never reached A's and C's users.
    for (const [server, account] of [viewers[0], viewers[2]] as [FederatedServer, Account][]) {
      const page = await clientApi<{ chunk: { event_id: string; type: string }[] }>(
        server,
        account,
        `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
      )
      const seen = page.chunk.map((e) => e.event_id)
      for (const eventId of bobsMessages) expect(seen).not.toContain(eventId)
    }
  }, 120_000)
})
