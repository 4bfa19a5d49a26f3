/**
 * Queries across two real servers federating over TLS: a user of server A reads the profile of a
 * user of server B, resolves B's room alias, queries and claims the keys B's user uploaded, and
 * downloads media uploaded on B (and a thumbnail of it) through A, which fetches it over
 * federation and keeps it.
 */
import { createHash } from 'node:crypto'
import type { MatrixClient } from 'matrix-js-sdk'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation, type FederatedServer } from './harness/federation.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'
import { matrixFailure } from './harness/session.js'

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function post(
  server: FederatedServer,
  account: Account,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.server.baseUrl}/_matrix/client/v3${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('federation queries between two servers', () => {
  let federation: Federation
  let a: FederatedServer
  let b: FederatedServer
  let alice: Account
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient

  beforeAll(async () => {
    // A on the first backend, B on the last (PostgreSQL when it is there, SQLite otherwise).
    federation = await startFederation([BACKENDS[0], BACKENDS.at(-1)].flatMap((x) => x ?? []))
    const [first, second] = federation.servers
    if (first === undefined || second === undefined) throw new Error('need two servers')
    a = first
    b = second
    alice = await registerAccount(a.server.baseUrl, 'alice')
    bob = await registerAccount(b.server.baseUrl, 'bob')
    aliceClient = clientFor(a.server.baseUrl, alice)
    bobClient = clientFor(b.server.baseUrl, bob)
  }, 90_000)

  afterAll(async () => {
    await federation.close()
  })

  it('reads the profile of a user of the other server', async () => {
    await bobClient.setDisplayName('Bob of B')
    expect(await aliceClient.getProfileInfo(bob.userId)).toEqual({ displayname: 'Bob of B' })
    expect(await aliceClient.getProfileInfo(bob.userId, 'displayname')).toEqual({
      displayname: 'Bob of B',
    })
    const nobody = await matrixFailure(aliceClient.getProfileInfo(`@nobody:${b.serverName}`))
    expect(nobody.errcode).toBe('M_NOT_FOUND')
  }, 30_000)

  it('resolves a room alias of the other server', async () => {
    const { room_id: roomId } = await bobClient.createRoom({ room_alias_name: 'lobby' })
    const resolved = await aliceClient.getRoomIdForAlias(`#lobby:${b.serverName}`)
    expect(resolved.room_id).toBe(roomId)
    expect(resolved.servers).toContain(b.serverName)
    const missing = await matrixFailure(aliceClient.getRoomIdForAlias(`#none:${b.serverName}`))
    expect(missing.errcode).toBe('M_NOT_FOUND')
  }, 30_000)

  it('queries and claims the keys of a device of the other server', async () => {
    const deviceKeys = {
      user_id: bob.userId,
      device_id: bob.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: {
        [`curve25519:${bob.deviceId}`]: 'Y3VydmUyNTUxOSBwdWJsaWMga2V5',
        [`ed25519:${bob.deviceId}`]: 'ZWQyNTUxOSBwdWJsaWMga2V5',
      },
      signatures: { [bob.userId]: { [`ed25519:${bob.deviceId}`]: 'c2lnbmF0dXJl' } },
    }
    const oneTimeKey = { key: 'b25lLXRpbWUga2V5', signatures: {} }
    const uploaded = await post(b, bob, '/keys/upload', {
      device_keys: deviceKeys,
      one_time_keys: { 'signed_curve25519:AAAAAQ': oneTimeKey },
    })
    expect(uploaded.status).toBe(200)

    const query = await post(a, alice, '/keys/query', {
      device_keys: { [bob.userId]: [] },
      timeout: 10_000,
    })
    expect(query.status).toBe(200)
    expect(query.body['failures']).toEqual({})
    const devices = (query.body['device_keys'] as Record<string, Record<string, unknown>>)[
      bob.userId
    ]
    expect(Object.keys(devices ?? {})).toEqual([bob.deviceId])
    expect(devices?.[bob.deviceId]).toMatchObject(deviceKeys)

    const claim = await post(a, alice, '/keys/claim', {
      one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } },
    })
    expect(claim.body).toEqual({
      one_time_keys: {
        [bob.userId]: { [bob.deviceId]: { 'signed_curve25519:AAAAAQ': oneTimeKey } },
      },
      failures: {},
    })
  }, 30_000)

  it('downloads media uploaded on the other server, and a thumbnail of it', async () => {
    const png = await sharp({
      create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 90, b: 200 } },
    })
      .png()
      .toBuffer()
    const { content_uri: uri } = await bobClient.uploadContent(
      new Blob([png], { type: 'image/png' }),
      { type: 'image/png', name: 'blue.png' },
    )
    expect(uri.startsWith(`mxc://${b.serverName}/`)).toBe(true)
    const path = uri.replace(/^mxc:\/\//, '')
    const headers = { authorization: `Bearer ${alice.accessToken}` }
    for (let i = 0; i < 2; i++) {
      const download = await fetch(`${a.server.baseUrl}/_matrix/client/v1/media/download/${path}`, {
        headers,
      })
      expect(download.status).toBe(200)
      expect(download.headers.get('content-type')).toBe('image/png')
      expect(download.headers.get('content-disposition')).toBe('inline; filename="blue.png"')
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(png))
    }
    const thumbnail = await fetch(
      `${a.server.baseUrl}/_matrix/client/v1/media/thumbnail/${path}?width=32&height=32&method=scale`,
      { headers },
    )
    expect(thumbnail.status).toBe(200)
    const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()
    expect(meta.width).toBeLessThanOrEqual(32)
    expect(meta.height).toBeLessThanOrEqual(32)
    const missing = await fetch(
      `${a.server.baseUrl}/_matrix/client/v1/media/download/${b.serverName}/nothingHere`,
      { headers },
    )
    expect(missing.status).toBe(404)
  }, 60_000)
})
