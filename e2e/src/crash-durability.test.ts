/**
 * Acknowledged means durable: the server is killed with SIGKILL in the middle of a burst of sends,
 * started again, and every send that had been answered 200 must be in the room exactly once.
 * Sends that were cut off are retried with their transaction IDs and must not duplicate.
 */
import { Direction } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'

const SENDERS = 8
/** Kill once this many sends have been acknowledged, while the rest are in flight. */
const KILL_AFTER_ACKS = 150

async function putMessage(
  baseUrl: string,
  account: Account,
  roomId: string,
  txnId: string,
): Promise<string> {
  const response = await fetch(
    `${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`,
    {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${account.accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ msgtype: 'm.text', body: txnId }),
    },
  )
  if (response.status !== 200) throw new Error(`send ${txnId}: HTTP ${response.status}`)
  const json = (await response.json()) as { event_id: string }
  return json.event_id
}

describe.each(BACKENDS)('SIGKILL during a burst of sends ($name)', (backend) => {
  let server: HomeserverProcess
  let drop: () => Promise<void>
  let alice: Account
  let roomId: string

  beforeAll(async () => {
    const db = await backend.open()
    drop = db.drop
    server = await HomeserverProcess.start(
      db.database === undefined ? {} : { database: db.database },
    )
    alice = await registerAccount(server.baseUrl, 'alice')
    roomId = (await clientFor(server.baseUrl, alice).createRoom({ name: 'burst' })).room_id
  }, 120_000)

  afterAll(async () => {
    await server.destroy()
    await drop()
  })

  it('loses no acknowledged send and duplicates none', async () => {
    const acknowledged = new Map<string, string>()
    const attempted: string[] = []
    let killed: Promise<void> | undefined
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, sender) => {
        for (let i = 0; ; i++) {
          const txnId = `burst-${sender}-${i}`
          attempted.push(txnId)
          try {
            acknowledged.set(txnId, await putMessage(server.baseUrl, alice, roomId, txnId))
          } catch {
            return // the server is gone
          }
          if (acknowledged.size >= KILL_AFTER_ACKS) killed ??= server.kill()
        }
      }),
    )
    await killed
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS)

    await server.launch()
    // Retrying what was cut off, with the same transaction IDs, must not create duplicates.
    for (const txnId of attempted) {
      const eventId = await putMessage(server.baseUrl, alice, roomId, txnId)
      const before = acknowledged.get(txnId)
      if (before !== undefined) expect(eventId).toBe(before)
    }

    const client = clientFor(server.baseUrl, alice)
    const seen = new Map<string, number>()
    const bodies = new Map<string, number>()
    let from: string | null = null
    for (;;) {
      const page = await client.createMessagesRequest(roomId, from, 100, Direction.Backward)
      for (const event of page.chunk) {
        if (event.type !== 'm.room.message') continue
        seen.set(event.event_id, (seen.get(event.event_id) ?? 0) + 1)
        const body = String(event.content['body'])
        bodies.set(body, (bodies.get(body) ?? 0) + 1)
      }
      if (page.end === undefined || page.chunk.length === 0) break
      from = page.end
    }
    for (const [txnId, eventId] of acknowledged) {
      expect(seen.get(eventId), `acknowledged ${txnId} (${eventId})`).toBe(1)
    }
    for (const txnId of attempted) expect(bodies.get(txnId), txnId).toBe(1)
  }, 120_000)
})
