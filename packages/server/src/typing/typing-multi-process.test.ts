import { afterAll, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { PresenceService } from '../presence/presence-service.js'
import { createRoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { PostgresTestSchemas } from '../storage/postgres/postgres-test-schema.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { parseSyncToken } from '../sync/sync-token.js'
import { TypingService } from './typing-service.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

/**
 * Invariant 5 for typing and presence: what one worker process sets shows in, and wakes, a
 * `/sync` served by another, and an expiry is announced even when the process that set the
 * notice is gone.
 */
describe.skipIf(baseUrl === undefined || baseUrl === '')('typing across processes', () => {
  const schemas = new PostgresTestSchemas(baseUrl ?? '')
  const opened: Storage[] = []
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()))
    await schemas.dropAll()
  })

  it('a notice set through one process wakes a long-poll on another, and so does its end', async () => {
    const { url } = await schemas.create()
    const reader = await openStorage(url, { poolSize: 4 })
    const writer = await openStorage(url, { poolSize: 4 })
    opened.push(reader, writer)
    const alice = userId('alice')
    const bob = userId('bob')
    for (const user of [alice, bob]) {
      await writer.accounts.createUser({ userId: user, createdTs: Date.now() })
    }
    const as = (user: typeof alice): Requester => ({ userId: user, deviceId: 'D', isGuest: false })
    const deps = { serverName: SERVER_NAME, signingKey: SIGNING_KEY, crypto, now: Date.now }
    const writerRooms = createRoomService({ ...deps, storage: writer })
    const readerRooms = createRoomService({ ...deps, storage: reader })
    const roomId = must(
      await writerRooms.createRoom(as(alice), {
        visibility: 'public',
        preset: 'public_chat',
        invite: [],
        initialState: [],
        isDirect: false,
      }),
    )
    must(await writerRooms.join(as(bob), { kind: 'id', roomId }, {}))

    // The writer's typing service never sweeps: it is "gone" once the notice is set. The reader's
    // sweeps every 50 ms and must announce the expiry.
    const writerTyping = new TypingService({
      storage: writer,
      now: Date.now,
      sweepIntervalMs: 600_000,
    })
    await writerTyping.close()
    const readerTyping = new TypingService({ storage: reader, now: Date.now, sweepIntervalMs: 50 })
    readerTyping.start()
    const presence = new PresenceService({ storage: reader, now: Date.now })
    const wakeups = new SyncWakeups(reader.streams.notifier)
    const sync = new SyncService({
      storage: reader,
      serializer: readerRooms.serializer,
      pdus: readerRooms.pipeline.pdus,
      wakeups,
      presence,
    })
    const request = {
      userId: bob,
      deviceId: 'D',
      filter: { kind: 'none' } as const,
      fullState: false,
      useStateAfter: false,
    }
    try {
      const first = must(await sync.sync({ ...request, since: undefined, timeoutMs: 0 }))
      const waiting = sync.sync({
        ...request,
        since: must(parseSyncToken(first.next_batch)),
        timeoutMs: 30_000,
      })
      while (wakeups.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      must(await writerTyping.setTyping(as(alice), alice, roomId, { typing: true, timeoutMs: 400 }))
      const started = must(await waiting)
      expect(started.rooms.join[roomId]?.ephemeral?.events).toEqual([
        { type: 'm.typing', content: { user_ids: [alice] } },
      ])

      const ended = must(
        await sync.sync({
          ...request,
          since: must(parseSyncToken(started.next_batch)),
          timeoutMs: 30_000,
        }),
      )
      expect(ended.rooms.join[roomId]?.ephemeral?.events).toEqual([
        { type: 'm.typing', content: { user_ids: [] } },
      ])
    } finally {
      wakeups.close()
      await readerTyping.close()
      await presence.close()
    }
  })
})
