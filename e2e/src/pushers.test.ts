/**
 * Pushers through matrix-js-sdk: a pusher set with `setPusher` gets a push gateway notification
 * for a message (one POST, with the event), a mention arrives with the highlight tweak, and
 * logging out the device that set the pusher deletes it. The gateway is a local node:http
 * server. Runs on SQLite and, when RHIZOME_TEST_POSTGRES is set, on PostgreSQL.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MsgType, type MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, eventually, registerAccount, type Account } from './harness/matrix-clients.js'

interface Notify {
  readonly notification: {
    readonly event_id?: string
    readonly room_id?: string
    readonly type?: string
    readonly sender?: string
    readonly content?: Record<string, unknown>
    readonly devices: {
      readonly app_id: string
      readonly pushkey: string
      readonly data?: Record<string, unknown>
      readonly tweaks?: Record<string, unknown>
    }[]
  }
}

interface Gateway {
  readonly url: string
  readonly requests: { readonly path: string; readonly body: Notify }[]
  close(): Promise<void>
}

async function startGateway(): Promise<Gateway> {
  const requests: { path: string; body: Notify }[] = []
  const server: Server = createServer((req, res) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (text += chunk))
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body: JSON.parse(text) as Notify })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"rejected":[]}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/_matrix/push/v1/notify`,
    requests,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve()
        }),
      ),
  }
}

describe.each(BACKENDS)('pushers ($name)', (backend) => {
  let server: HomeserverProcess
  let drop: () => Promise<void>
  let gateway: Gateway
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let roomId: string

  beforeAll(async () => {
    const db = await backend.open()
    drop = db.drop
    gateway = await startGateway()
    server = await HomeserverProcess.start({
      ...(db.database === undefined ? {} : { database: db.database }),
      // The fake gateway listens on plain HTTP.
      config: { push: { allow_http_gateways: true } },
    })
    const alice = await registerAccount(server.baseUrl, 'alice')
    bob = await registerAccount(server.baseUrl, 'bob')
    const carol = await registerAccount(server.baseUrl, 'carol')
    aliceClient = clientFor(server.baseUrl, alice)
    bobClient = clientFor(server.baseUrl, bob)
    // Three members, so that plain messages take the message rule (notify, no sound).
    roomId = (await aliceClient.createRoom({ invite: [bob.userId, carol.userId] })).room_id
    await bobClient.joinRoom(roomId)
    await clientFor(server.baseUrl, carol).joinRoom(roomId)
  }, 120_000)

  afterAll(async () => {
    await server.stop()
    await gateway.close()
    await drop()
  })

  it('setPusher stores the pusher, and a message makes one POST to the gateway', async () => {
    await bobClient.setPusher({
      kind: 'http',
      app_id: 'org.example.e2e',
      pushkey: 'bob-phone',
      app_display_name: 'E2E',
      device_display_name: 'Bob’s phone',
      lang: 'en',
      data: { url: gateway.url, brand: 'kept' },
    })
    const { pushers } = await bobClient.getPushers()
    expect(pushers).toEqual([
      expect.objectContaining({ kind: 'http', app_id: 'org.example.e2e', pushkey: 'bob-phone' }),
    ])
    const sent = await aliceClient.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hi bob' })
    await eventually(() => gateway.requests.length >= 1, 'a POST to the gateway')
    // Give a duplicate time to show up.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(gateway.requests).toHaveLength(1)
    const { path, body } = gateway.requests[0] ?? { path: '', body: undefined }
    expect(path).toBe('/_matrix/push/v1/notify')
    expect(body?.notification).toMatchObject({
      event_id: sent.event_id,
      room_id: roomId,
      type: 'm.room.message',
      content: { body: 'hi bob' },
      devices: [{ app_id: 'org.example.e2e', pushkey: 'bob-phone', data: { brand: 'kept' } }],
    })
  })

  it('a mention carries the highlight tweak', async () => {
    const before = gateway.requests.length
    const sent = await aliceClient.sendMessage(roomId, {
      msgtype: MsgType.Text,
      body: 'bob!',
      'm.mentions': { user_ids: [bob.userId] },
    })
    await eventually(() => gateway.requests.length > before, 'the mention at the gateway')
    const body = gateway.requests.at(-1)?.body
    expect(body?.notification.event_id).toBe(sent.event_id)
    expect(body?.notification.devices[0]?.tweaks).toMatchObject({ highlight: true })
  })

  it('logging out the device deletes its pusher', async () => {
    await bobClient.logout(true)
    const response = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'bob' },
        password: bob.password,
      }),
    })
    expect(response.status).toBe(200)
    const { access_token: token } = (await response.json()) as { access_token: string }
    const list = await fetch(`${server.baseUrl}/_matrix/client/v3/pushers`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await list.json()).toEqual({ pushers: [] })
  })
})
