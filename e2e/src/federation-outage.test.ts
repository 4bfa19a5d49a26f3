/**
 * The outage drill: A, B and C share a room (B on PostgreSQL when RHIZOME_TEST_POSTGRES is set).
 * B acknowledges a message from its user and is killed with SIGKILL; users on A and C exchange
 * 200 messages, each seeing the other's; B restarts, its user sees every message sent while it
 * was down, and B's last message reaches A and C. Nobody sees a duplicate. The catch-up time
 * (the target is under 10 s) is printed rather than asserted: under a loaded test run it says
 * more about the machine than about the server.
 */
import { MsgType } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { messageBodies, useThreeServers, type Federation } from './harness/federation.js'
import {
  clientFor,
  eventually,
  registerAccount,
  startSyncing,
  type Account,
} from './harness/matrix-clients.js'

const MESSAGES = 200
/** How long the test waits for the catch-up; its time is printed, not asserted (speed is the bench's). */
const CATCH_UP_WAIT_MS = 60_000

/** On failure, the servers' warnings and federation requests say where delivery stopped. */
function dumpWarnings(federation: Federation): void {
  for (const { serverName, server } of federation.servers) {
    const lines = server.output
      .split('\n')
      .filter((line) => /"level":(40|50)|\/_matrix\/federation\//.test(line))
      .slice(-30)
    process.stderr.write(`=== ${serverName}\n${lines.join('\n')}\n`)
  }
}

describe('an outage of one of three servers', () => {
  const servers = useThreeServers()
  const { clients } = servers

  it('catches up within seconds of coming back, losing and repeating nothing', async () => {
    const federation = servers.federation()
    const [a, b, c] = federation.servers
    if (a === undefined || b === undefined || c === undefined) throw new Error('need 3 servers')
    const accounts: Account[] = []
    for (const [server, name] of [
      [a, 'alice'],
      [b, 'bob'],
      [c, 'carol'],
    ] as const) {
      accounts.push(await registerAccount(server.server.baseUrl, name))
    }
    const [aliceAccount, bobAccount, carolAccount] = accounts as [Account, Account, Account]
    const alice = clientFor(a.server.baseUrl, aliceAccount)
    let bob = clientFor(b.server.baseUrl, bobAccount)
    const carol = clientFor(c.server.baseUrl, carolAccount)
    clients.push(alice, bob, carol)
    for (const client of [alice, bob, carol]) await startSyncing(client)
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      room_alias_name: 'drill',
    })
    await bob.joinRoom(`#drill:${a.serverName}`)
    await carol.joinRoom(`#drill:${a.serverName}`)
    for (const client of [alice, bob, carol]) {
      await eventually(() => client.getRoom(roomId)?.getJoinedMemberCount() === 3, 'members')
    }

    // 1. B acknowledges its user's message, then dies.
    await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: 'last words from B' })
    bob.stopClient()
    await b.server.kill()

    // 2. A and C talk on, each seeing the other throughout.
    const sent: string[] = []
    for (let i = 0; i < MESSAGES; i++) {
      const [from, to] = i % 2 === 0 ? [alice, carol] : [carol, alice]
      const body = `while B was down ${i}`
      await from.sendMessage(roomId, { msgtype: MsgType.Text, body })
      sent.push(body)
      if (i % 50 === 49) {
        await eventually(
          () => messageBodies(to, roomId).includes(body),
          `message ${i} across A and C`,
        )
      }
    }
    for (const client of [alice, carol]) {
      await eventually(
        () => sent.every((body) => messageBodies(client, roomId).includes(body)),
        'every message at A and C',
      )
    }

    // 3. B comes back; its user sees everything, and its last words arrive.
    const restarted = Date.now()
    await b.server.launch()
    const upMs = Date.now() - restarted
    bob = clientFor(b.server.baseUrl, bobAccount)
    clients.push(bob)
    await startSyncing(bob)
    const bobSees = async (): Promise<string[]> => {
      const response = await fetch(
        `${b.server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
        { headers: { authorization: `Bearer ${bobAccount.accessToken}` } },
      )
      const page = (await response.json()) as {
        chunk: { type: string; content: { body?: string } }[]
      }
      return page.chunk
        .filter((e) => e.type === 'm.room.message')
        .map((e) => String(e.content.body))
    }
    // One look at a time: a flood of overlapping reads would slow the server it measures.
    let seen: string[] = []
    const deadline = Date.now() + CATCH_UP_WAIT_MS
    while (!sent.every((body) => seen.includes(body))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for every message at B')
      seen = await bobSees()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    for (const client of [alice, carol]) {
      await eventually(
        () => messageBodies(client, roomId).includes('last words from B'),
        'B’s last message at A and C',
        CATCH_UP_WAIT_MS,
      ).catch((error: unknown) => {
        dumpWarnings(federation)
        throw error
      })
    }
    const catchUpMs = Date.now() - restarted
    console.info(
      `catch-up after the restart of B: ${catchUpMs} ms for ${MESSAGES} messages ` +
        `(B answered HTTP after ${upMs} ms)`,
    )

    // 4. Nobody sees a duplicate.
    for (const list of [seen, messageBodies(alice, roomId), messageBodies(carol, roomId)]) {
      expect(new Set(list).size).toBe(list.length)
    }
  }, 180_000)
})
