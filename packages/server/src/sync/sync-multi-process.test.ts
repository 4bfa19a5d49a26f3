import { afterAll, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { createRoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { PostgresTestSchemas } from '../storage/postgres/postgres-test-schema.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { SyncService } from './sync-service.js'
import { SyncWakeups } from './sync-wakeups.js'
import { formatSyncToken, parseSyncToken } from './sync-token.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

/**
 * Invariant 5 for sync: a long-poll in one process wakes for an event that another process
 * wrote, because the wake-up travels through the database (PostgreSQL NOTIFY), not memory.
 */
describe.skipIf(baseUrl === undefined || baseUrl === '')('sync across processes', () => {
  const schemas = new PostgresTestSchemas(baseUrl ?? '')
  const opened: Storage[] = []
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()))
    await schemas.dropAll()
  })

  it('wakes a long-poll on one process for a message sent through another', async () => {
    const { url } = await schemas.create()
    const reader = await openStorage(url, { poolSize: 4 })
    const writer = await openStorage(url, { poolSize: 4 })
    opened.push(reader, writer)
    const alice = userId('alice')
    await writer.accounts.createUser({ userId: alice, createdTs: Date.now() })
    const requester: Requester = { userId: alice, deviceId: 'D', isGuest: false }
    const deps = {
      storage: writer,
      serverName: SERVER_NAME,
      signingKey: SIGNING_KEY,
      crypto,
      now: Date.now,
    }
    const writerRooms = createRoomService(deps)
    const readerRooms = createRoomService({ ...deps, storage: reader })
    const roomId = must(
      await writerRooms.createRoom(requester, {
        visibility: 'private',
        invite: [],
        initialState: [],
        isDirect: false,
      }),
    )
    const wakeups = new SyncWakeups(reader.streams.notifier)
    const sync = new SyncService({
      storage: reader,
      serializer: readerRooms.serializer,
      pdus: readerRooms.pipeline.pdus,
      wakeups,
    })
    try {
      const since = await reader.streams.currentPosition()
      const request = {
        userId: alice,
        deviceId: 'D',
        filter: { kind: 'none' } as const,
        fullState: false,
        useStateAfter: false,
      }
      const latencies: number[] = []
      let from = since
      for (let i = 0; i < 20; i++) {
        const waiting = sync.sync({ ...request, since: from, timeoutMs: 30_000 })
        while (wakeups.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 1))
        const sentAt = performance.now()
        const eventId = must(
          await writerRooms.sendMessage(requester, roomId, 'm.room.message', `t${i}`, {
            msgtype: 'm.text',
            body: `from the other process ${i}`,
          }),
        )
        const response = must(await waiting)
        latencies.push(performance.now() - sentAt)
        expect(response.rooms.join[roomId]?.timeline.events.map((e) => e['event_id'])).toEqual([
          eventId,
        ])
        expect(response.next_batch).not.toBe(formatSyncToken(from))
        from = must(parseSyncToken(response.next_batch))
      }
      latencies.sort((a, b) => a - b)
      console.log(
        `[postgres, two processes] wake-up from send: p50 ${latencies[10]?.toFixed(1)} ms, ` +
          `max ${latencies[19]?.toFixed(1)} ms`,
      )
      expect(latencies[19]).toBeLessThan(2000)
    } finally {
      wakeups.close()
    }
  })
})
