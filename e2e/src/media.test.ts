/**
 * The content repository through the real server: a PNG and a 5 MB file uploaded with
 * matrix-js-sdk's uploadContent come back byte for byte from the authenticated download
 * endpoint, a 32x32 thumbnail is an image within that size, an upload over the limit gets
 * 413 M_TOO_LARGE, authenticated media without a token gets 401, and a URL preview of the
 * server's own loopback address is refused. Runs on SQLite and, when RHIZOME_TEST_POSTGRES is
 * set, on PostgreSQL.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { MatrixClient } from 'matrix-js-sdk'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { HomeserverProcess } from './harness/homeserver.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'

const MAX_UPLOAD = 6 * 1024 * 1024

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe.each(BACKENDS)('media ($name)', (backend) => {
  let server: HomeserverProcess
  let drop: () => Promise<void>
  let alice: Account
  let client: MatrixClient

  beforeAll(async () => {
    const db = await backend.open()
    drop = db.drop
    server = await HomeserverProcess.start({
      ...(db.database === undefined ? {} : { database: db.database }),
      config: {
        media: { max_upload_size: MAX_UPLOAD, url_preview_enabled: true },
      },
    })
    alice = await registerAccount(server.baseUrl, 'alice')
    client = clientFor(server.baseUrl, alice)
  }, 120_000)

  afterAll(async () => {
    await server.stop()
    await drop()
  })

  async function download(mxc: string, withToken = true): Promise<Response> {
    const path = mxc.replace(/^mxc:\/\//, '')
    return fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${path}`, {
      headers: withToken ? { authorization: `Bearer ${alice.accessToken}` } : {},
    })
  }

  async function upload(bytes: Uint8Array, type: string, name: string): Promise<string> {
    const { content_uri: uri } = await client.uploadContent(new Blob([bytes], { type }), {
      type,
      name,
    })
    expect(uri).toMatch(new RegExp(`^mxc://${server.serverName}/[A-Za-z0-9_-]+$`))
    return uri
  }

  it('round-trips a PNG and a 5 MB file byte for byte', async () => {
    const png = await sharp({
      create: { width: 120, height: 80, channels: 3, background: { r: 10, g: 200, b: 30 } },
    })
      .png()
      .toBuffer()
    const pngUri = await upload(png, 'image/png', 'green.png')
    const gotPng = await download(pngUri)
    expect(gotPng.status).toBe(200)
    expect(gotPng.headers.get('content-type')).toBe('image/png')
    expect(gotPng.headers.get('content-disposition')).toBe('inline; filename="green.png"')
    expect(gotPng.headers.get('content-security-policy')).toContain('sandbox')
    expect(Buffer.from(await gotPng.arrayBuffer()).equals(png)).toBe(true)

    const big = randomBytes(5 * 1024 * 1024)
    const bigUri = await upload(big, 'application/octet-stream', 'random.bin')
    const gotBig = await download(bigUri)
    expect(gotBig.status).toBe(200)
    expect(gotBig.headers.get('content-disposition')).toBe('attachment; filename="random.bin"')
    const bytes = new Uint8Array(await gotBig.arrayBuffer())
    expect(bytes.byteLength).toBe(big.byteLength)
    expect(sha256(bytes)).toBe(sha256(big))
  }, 60_000)

  it('makes a 32x32 thumbnail that is an image within that size', async () => {
    const photo = await sharp({
      create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 100, b: 0 } },
    })
      .jpeg()
      .toBuffer()
    const uri = await upload(photo, 'image/jpeg', 'photo.jpg')
    const path = uri.replace(/^mxc:\/\//, '')
    const response = await fetch(
      `${server.baseUrl}/_matrix/client/v1/media/thumbnail/${path}?width=32&height=32&method=crop`,
      { headers: { authorization: `Bearer ${alice.accessToken}` } },
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/jpeg')
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata()
    expect(meta.format).toBe('jpeg')
    expect(meta.width).toBeLessThanOrEqual(32)
    expect(meta.height).toBeLessThanOrEqual(32)
    expect(meta.width).toBeGreaterThan(0)
  })

  it('refuses an upload over the limit with 413 M_TOO_LARGE', async () => {
    const response = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=big.bin`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'content-type': 'application/octet-stream',
      },
      body: new Uint8Array(MAX_UPLOAD + 1),
    })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_TOO_LARGE')
  })

  it('answers 401 on authenticated media without a token', async () => {
    const uri = await upload(new TextEncoder().encode('secret'), 'text/plain', 'a.txt')
    const response = await download(uri, false)
    expect(response.status).toBe(401)
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_MISSING_TOKEN')
    const config = await fetch(`${server.baseUrl}/_matrix/client/v1/media/config`)
    expect(config.status).toBe(401)
  })

  it('refuses a URL preview of a loopback address', async () => {
    const target = `${server.baseUrl}/_matrix/client/versions`
    const response = await fetch(
      `${server.baseUrl}/_matrix/client/v1/media/preview_url?url=${encodeURIComponent(target)}`,
      { headers: { authorization: `Bearer ${alice.accessToken}` } },
    )
    expect(response.status).toBe(403)
    expect(((await response.json()) as { errcode: string }).errcode).toBe('M_FORBIDDEN')
  })
})
