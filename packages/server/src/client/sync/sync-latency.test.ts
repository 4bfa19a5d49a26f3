import { describe, expect, it } from 'vitest'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const ROUNDS = 200

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

for (const kind of roomTestStorages()) {
  describe(`sync wake-up latency on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it(`wakes a long-poll for each of ${ROUNDS} messages from another user`, async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const created = await t.call('POST', `${V3}/createRoom`, {
        user: alice,
        body: { preset: 'public_chat' },
      })
      const roomId = (created.body as { room_id: string }).room_id
      const room = `${V3}/rooms/${encodeURIComponent(roomId)}`
      await t.call('POST', `${room}/join`, { user: bob })
      const initial = await t.call('GET', `${V3}/sync`, { user: alice })
      let since = (initial.body as { next_batch: string }).next_batch

      const fromSend: number[] = []
      const fromAck: number[] = []
      const incremental: number[] = []
      for (let i = 0; i < ROUNDS; i++) {
        const poll = t.call('GET', `${V3}/sync?since=${since}&timeout=30000`, { user: alice })
        // Let the poll reach its wait before sending (the wait is what is measured).
        while (t.wakeups.waiting === 0) await new Promise((resolve) => setImmediate(resolve))
        const sentAt = performance.now()
        const sent = await t.call('PUT', `${room}/send/m.room.message/r${i}`, {
          user: bob,
          body: { msgtype: 'm.text', body: `m${i}` },
        })
        const ackAt = performance.now()
        const reply = await poll
        const doneAt = performance.now()
        expect(sent.status).toBe(200)
        const body = reply.body as {
          next_batch: string
          rooms: { join: Record<string, { timeline: { events: { event_id: string }[] } }> }
        }
        expect(body.rooms.join[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([
          (sent.body as { event_id: string }).event_id,
        ])
        since = body.next_batch
        fromSend.push(doneAt - sentAt)
        fromAck.push(Math.max(0, doneAt - ackAt))
      }
      // An incremental sync with one new message, without waiting.
      for (let i = 0; i < 50; i++) {
        await t.call('PUT', `${room}/send/m.room.message/x${i}`, {
          user: bob,
          body: { msgtype: 'm.text', body: `x${i}` },
        })
        const began = performance.now()
        const reply = await t.call('GET', `${V3}/sync?since=${since}`, { user: alice })
        incremental.push(performance.now() - began)
        since = (reply.body as { next_batch: string }).next_batch
      }
      const summary = (list: number[]): string => {
        const sorted = [...list].sort((a, b) => a - b)
        return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`
      }
      console.log(
        `[${kind.name}] wake-up from send request: ${summary(fromSend)}; after the send's 200: ` +
          `${summary(fromAck)}; incremental sync with one message: ${summary(incremental)}`,
      )
      const worst = Math.max(...fromSend)
      expect(worst).toBeLessThan(2000)
    }, 60_000)
  })
}
