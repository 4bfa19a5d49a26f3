/**
 * Several worker processes on one PostgreSQL database, each with its own push processor and
 * HTTP pusher: each notification reaches the gateway once, whichever worker evaluated it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { PostgresTestSchemas } from '../storage/postgres/postgres-test-schema.js'
import { startFakePushGateway } from '../testing/fake-push-gateway.js'
import { sendText, sharedRoom } from '../testing/push-test-client.js'
import { startPushTestServer, type PushTestServer } from '../testing/push-test-server.js'
import { HttpPusher } from './http-pusher.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

describe.skipIf(baseUrl === undefined || baseUrl === '')('HTTP pushers in several workers', () => {
  const schemas = new PostgresTestSchemas(baseUrl ?? '')
  afterAll(() => schemas.dropAll())

  it('posts each notification once', async () => {
    const { url } = await schemas.create()
    const gateway = await startFakePushGateway()
    const storages: Storage[] = []
    const pushers: HttpPusher[] = []
    const servers: PushTestServer[] = []
    try {
      for (let i = 0; i < 3; i++) {
        const storage = await openStorage(url, { poolSize: 4 })
        storages.push(storage)
        const pusher = new HttpPusher({ storage })
        pushers.push(pusher)
        // Short pauses, so the workers compete for every batch.
        servers.push(await startPushTestServer(storage, { coalesceMs: 1, batchEvents: 2, pusher }))
      }
      const [one, two] = servers as [PushTestServer, PushTestServer]
      const alice = await one.users.user('alice')
      const bob = await one.users.user('bob')
      const carol = await one.users.user('carol')
      const roomId = await sharedRoom(one, alice, [bob, carol])
      for (const server of servers) await server.processor.drain()
      await one.storage.accounts.createDevice({
        userId: bob.userId,
        deviceId: bob.deviceId,
        createdTs: 1,
      })
      await one.storage.pushers.set(
        {
          userId: bob.userId,
          deviceId: bob.deviceId,
          kind: 'http',
          appId: 'com.example.app',
          pushkey: 'bob',
          appDisplayName: 'App',
          deviceDisplayName: 'Phone',
          profileTag: undefined,
          lang: 'en',
          data: { url: gateway.url },
          pushkeyTs: 1,
        },
        false,
      )
      for (const pusher of pushers) await pusher.refresh()
      const aliceThere = await two.users.user('alice')
      const sent = await Promise.all([
        (async () => {
          const ids: string[] = []
          for (let i = 0; i < 10; i++) ids.push(await sendText(one, alice, roomId, `one ${i}`))
          return ids
        })(),
        (async () => {
          const ids: string[] = []
          for (let i = 0; i < 10; i++) ids.push(await sendText(two, aliceThere, roomId, `two ${i}`))
          return ids
        })(),
      ])
      for (const server of servers) await server.processor.drain()
      await gateway.waitFor(20)
      for (const pusher of pushers) await pusher.idle()
      await new Promise((resolve) => setTimeout(resolve, 200))
      const posted = gateway.requests.map(
        (r) => (r.body as { notification: { event_id: string } }).notification.event_id,
      )
      expect(posted).toHaveLength(20)
      expect(new Set(posted)).toEqual(new Set(sent.flat()))
    } finally {
      for (const server of servers) await server.close()
      for (const pusher of pushers) await pusher.close()
      for (const storage of storages) await storage.close()
      await gateway.close()
    }
  }, 60_000)
})
