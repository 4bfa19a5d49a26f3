import { afterEach, describe, expect, it } from 'vitest'
import type { Storage } from '../storage/interface.js'
import type { PusherRecord } from '../storage/pusher-store.js'
import type { TestUser } from '../testing/fake-authenticate.js'
import {
  startFakePushGateway,
  notifyRequestProblems,
  type FakePushGateway,
} from '../testing/fake-push-gateway.js'
import { sendText, sharedRoom } from '../testing/push-test-client.js'
import { startPushTestServer, type PushTestServer } from '../testing/push-test-server.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { HttpPusher } from './http-pusher.js'

interface Notify {
  readonly notification: {
    readonly event_id?: string
    readonly room_id?: string
    readonly type?: string
    readonly sender?: string
    readonly prio?: string
    readonly content?: Record<string, unknown>
    readonly counts?: Record<string, number>
    readonly sender_display_name?: string
    readonly devices: {
      readonly app_id: string
      readonly pushkey: string
      readonly pushkey_ts?: number
      readonly data?: Record<string, unknown>
      readonly tweaks?: Record<string, unknown>
    }[]
  }
}

function pusherFor(user: TestUser, url: string, data: Record<string, unknown> = {}): PusherRecord {
  return {
    userId: user.userId,
    deviceId: user.deviceId,
    kind: 'http',
    appId: 'com.example.app',
    pushkey: `key-${user.userId}`,
    appDisplayName: 'Example',
    deviceDisplayName: 'Phone',
    profileTag: undefined,
    lang: 'en',
    data: { url, ...data },
    pushkeyTs: 1_700_000_123_456,
  }
}

describe.each(roomTestStorages())('the HTTP pusher ($name)', (kind) => {
  const open = useRoomStorage(kind)
  const gateways: FakePushGateway[] = []
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
    await Promise.all(gateways.splice(0).map((g) => g.close()))
  })

  /** Alice and bob in a room of three (so plain messages notify without sound); bob has a pusher. */
  async function setUp(data: Record<string, unknown> = {}): Promise<{
    t: PushTestServer
    storage: Storage
    pusher: HttpPusher
    gateway: FakePushGateway
    alice: TestUser
    bob: TestUser
    roomId: string
  }> {
    const storage = await open()
    const gateway = await startFakePushGateway()
    gateways.push(gateway)
    const pusher = new HttpPusher({ storage, backoffMs: 20, maxAttempts: 4, timeoutMs: 2_000 })
    const t = await startPushTestServer(storage, { pusher })
    closers.push(
      () => t.close(),
      () => pusher.close(),
    )
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    await storage.accounts.createDevice({
      userId: bob.userId,
      deviceId: bob.deviceId,
      createdTs: 1,
    })
    const roomId = await sharedRoom(t, alice, [bob, carol], { name: 'Garden' })
    await t.processor.drain()
    await storage.pushers.set(pusherFor(bob, gateway.url, data), false)
    await pusher.refresh()
    return { t, storage, pusher, gateway, alice, bob, roomId }
  }

  it('posts one notification per message, in the spec’s shape', async () => {
    const { t, pusher, gateway, alice, bob, roomId } = await setUp({ custom: 'kept' })
    const eventId = await sendText(t, alice, roomId, 'hello')
    await t.processor.drain()
    await gateway.waitFor(1)
    await pusher.idle()
    expect(gateway.requests).toHaveLength(1)
    const request = gateway.requests[0]
    expect(request?.path).toBe('/_matrix/push/v1/notify')
    expect(notifyRequestProblems(request?.body)).toEqual([])
    const { notification } = request?.body as Notify
    expect(notification).toMatchObject({
      event_id: eventId,
      room_id: roomId,
      type: 'm.room.message',
      sender: alice.userId,
      room_name: 'Garden',
      prio: 'low',
      content: { msgtype: 'm.text', body: 'hello' },
      counts: { unread: 1 },
      devices: [
        {
          app_id: 'com.example.app',
          pushkey: `key-${bob.userId}`,
          pushkey_ts: 1_700_000_123,
          data: { custom: 'kept' },
          tweaks: {},
        },
      ],
    })
    expect(notification.devices[0]?.data).not.toHaveProperty('url')
    // Nothing for alice, who has no pusher, nor for her own message.
    await sendText(t, bob, roomId, 'reply')
    await t.processor.drain()
    await pusher.idle()
    expect(gateway.requests).toHaveLength(1)
  })

  it('sends a mention with the highlight tweak and high priority; event_id_only leaves out the event', async () => {
    const { t, pusher, gateway, alice, bob, roomId } = await setUp({ format: 'event_id_only' })
    const eventId = await sendText(t, alice, roomId, 'bob!', {
      'm.mentions': { user_ids: [bob.userId] },
    })
    await t.processor.drain()
    await gateway.waitFor(1)
    await pusher.idle()
    const body = gateway.requests[0]?.body as Notify
    expect(notifyRequestProblems(body)).toEqual([])
    expect(body.notification.devices[0]?.tweaks).toMatchObject({ highlight: true })
    expect(body.notification.prio).toBe('high')
    expect(body.notification.event_id).toBe(eventId)
    expect(body.notification.devices[0]?.data).toEqual({ format: 'event_id_only' })
    expect(body.notification).not.toHaveProperty('content')
    expect(body.notification).not.toHaveProperty('sender')
  })

  it('deletes a pusher whose pushkey the gateway rejects', async () => {
    const { t, storage, pusher, gateway, alice, bob, roomId } = await setUp()
    gateway.answers.push({ status: 200, rejected: [`key-${bob.userId}`] })
    await sendText(t, alice, roomId, 'one')
    await t.processor.drain()
    await gateway.waitFor(1)
    await pusher.idle()
    expect(await storage.pushers.list(bob.userId)).toEqual([])
    await pusher.refresh()
    expect(pusher.wants(bob.userId)).toBe(false)
    await sendText(t, alice, roomId, 'two')
    await t.processor.drain()
    await pusher.idle()
    expect(gateway.requests).toHaveLength(1)
  })

  it('retries a failing gateway with backoff, in order, then gives up', async () => {
    const { t, pusher, gateway, alice, roomId } = await setUp()
    gateway.answers.push({ status: 500 }, 'hang-up', { status: 503 })
    const first = await sendText(t, alice, roomId, 'one')
    await t.processor.drain()
    await gateway.waitFor(4)
    await pusher.idle()
    const ids = gateway.requests.map((r) => (r.body as Notify).notification.event_id)
    expect(ids).toEqual([first, first, first, first])
    // Four failures in a row use up the attempts, and the next notification still goes.
    gateway.answers.push({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 })
    const second = await sendText(t, alice, roomId, 'two')
    const third = await sendText(t, alice, roomId, 'three')
    await t.processor.drain()
    await gateway.waitFor(9)
    await pusher.idle()
    const later = gateway.requests.slice(4).map((r) => (r.body as Notify).notification.event_id)
    expect(later).toEqual([second, second, second, second, third])
  })
})
