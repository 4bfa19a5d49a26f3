/**
 * Several worker processes on one PostgreSQL database, each with its own push processor: every
 * event is evaluated exactly once, whichever worker gets to it.
 */
import type { RoomId } from '@rhizome/core'
import { afterAll, describe, expect, it } from 'vitest'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { PostgresTestSchemas } from '../storage/postgres/postgres-test-schema.js'
import { sendText, sharedRoom, V3 } from '../testing/push-test-client.js'
import { startPushTestServer, type PushTestServer } from '../testing/push-test-server.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

describe.skipIf(baseUrl === undefined || baseUrl === '')(
  'push processors in several workers',
  () => {
    const schemas = new PostgresTestSchemas(baseUrl ?? '')
    afterAll(() => schemas.dropAll())

    it('evaluates each event once, and every worker answers the same counts', async () => {
      const { url } = await schemas.create()
      const storages: Storage[] = []
      const servers: PushTestServer[] = []
      try {
        for (let i = 0; i < 3; i++) storages.push(await openStorage(url, { poolSize: 4 }))
        // Short pauses, so the workers compete for every batch.
        for (const storage of storages) {
          servers.push(await startPushTestServer(storage, { coalesceMs: 1, batchEvents: 4 }))
        }
        const [one, two, three] = servers as [PushTestServer, PushTestServer, PushTestServer]
        const alice = await one.users.user('alice')
        const bob = await one.users.user('bob')
        const carol = await one.users.user('carol')
        const roomId = await sharedRoom(one, alice, [bob, carol])
        // The same user, with a token the second worker knows.
        const aliceThere = await two.users.user('alice')
        const sends = 30
        await Promise.all([
          (async () => {
            for (let i = 0; i < sends / 2; i++) await sendText(one, alice, roomId, `one ${i}`)
          })(),
          (async () => {
            for (let i = 0; i < sends / 2; i++) {
              await sendText(two, aliceThere, roomId, `two ${i}`, {
                'm.mentions': { user_ids: [bob.userId] },
              })
            }
          })(),
        ])
        const upTo = await three.storage.streams.currentPosition()
        // Each drain returns once nothing is left after the position it found.
        for (const server of servers) await server.processor.drain()
        for (const server of servers) {
          const counts = await server.storage.push.unreadCounts(
            bob.userId,
            [roomId as RoomId],
            upTo,
          )
          expect([...(counts.get(roomId as RoomId)?.values() ?? [])]).toEqual([
            { notifications: sends, highlights: sends / 2 },
          ])
        }
        // Bob (via a token of the third worker) lists each notification once: 30 sends + invite.
        const bobThere = await three.users.user('bob')
        const list = await three.call('GET', `${V3}/notifications?limit=100`, { user: bobThere })
        const items = (list.body as { notifications: { event: { event_id: string } }[] })
          .notifications
        expect(items).toHaveLength(sends + 1)
        expect(new Set(items.map((n) => n.event.event_id)).size).toBe(sends + 1)
      } finally {
        for (const server of servers) await server.close()
        for (const storage of storages) await storage.close()
      }
    }, 60_000)
  },
)
