import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ok } from '@rhizome/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { defineEndpoint, handle } from './endpoint.js'
import { hasWebClient, WEB_CLIENT_CSP } from './web-client.js'

const INDEX = '<!doctype html><title>Rhizome</title><script src="/assets/app-1a2b3c.js"></script>'
const SCRIPT = 'console.log("app")'

const versions = handle(
  defineEndpoint({ method: 'GET', paths: ['/_matrix/client/versions'], auth: 'none' }),
  () => Promise.resolve(ok({ versions: ['v1.19'] })),
)

describe('the web app beside the API', () => {
  let dir: string
  let server: TestServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rhizome-web-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), INDEX)
    writeFileSync(join(dir, 'assets', 'app-1a2b3c.js'), SCRIPT)
    writeFileSync(join(dir, 'assets', 'app-1a2b3c.js.br'), brotliCompressSync(SCRIPT))
    writeFileSync(join(dir, 'assets', 'app-1a2b3c.js.gz'), gzipSync(SCRIPT))
    writeFileSync(join(dir, '.env'), 'SECRET=1')
    server = await startTestServer({ routes: [versions], services: {}, webClientDir: dir })
  })

  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves index.html at / for revalidation on every load, with its security headers', async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${server.url}${path}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      expect(response.headers.get('cache-control')).toBe('no-cache')
      expect(response.headers.get('content-security-policy')).toBe(WEB_CLIENT_CSP)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await response.text()).toBe(INDEX)
    }
  })

  it('lets browsers keep content-hashed assets for a year', async () => {
    const response = await fetch(`${server.url}/assets/app-1a2b3c.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/javascript/)
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await response.text()).toBe(SCRIPT)
  })

  it('sends the build’s compressed copy to a browser that accepts it', async () => {
    const url = `${server.url}/assets/app-1a2b3c.js`
    const get = (acceptEncoding: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        httpGet(url, { headers: { 'accept-encoding': acceptEncoding } }, (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => {
            resolve({ headers: response.headers, body: Buffer.concat(chunks) })
          })
        }).on('error', reject)
      })
    const br = await get('br, gzip')
    expect(br.headers['content-encoding']).toBe('br')
    expect(br.headers['vary']).toMatch(/accept-encoding/i)
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT)
    const gz = await get('gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT)
    const plain = await get('identity')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body.toString()).toBe(SCRIPT)
  })

  it('keeps the API and Matrix errors for everything else', async () => {
    const api = await fetch(`${server.url}/_matrix/client/versions`)
    expect(await api.json()).toEqual({ versions: ['v1.19'] })
    for (const path of ['/missing.js', '/.env', '/assets/../../etc/passwd', '/_matrix/nope']) {
      const response = await fetch(`${server.url}${path}`)
      expect(response.status).toBe(404)
      expect(((await response.json()) as { errcode: string }).errcode).toBe('M_UNRECOGNIZED')
    }
  })

  it('tells whether a directory holds a build', () => {
    expect(hasWebClient(dir)).toBe(true)
    expect(hasWebClient(join(dir, 'assets'))).toBe(false)
  })
})
