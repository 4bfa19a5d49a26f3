import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchPublic, type FetchOptions } from './safe-fetch.js'

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/'
    if (path.startsWith('/hop/')) {
      const n = Number(path.slice('/hop/'.length))
      res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : '/page' })
      res.end()
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('x'.repeat(5000))
    } else if (path === '/missing') {
      res.writeHead(404)
      res.end()
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<title>ok</title>')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve()
      })
    }),
)

const open: FetchOptions = { allowPrivate: true, maxBytes: 1000, truncate: true, timeoutMs: 5000 }

describe('fetchPublic', () => {
  it('refuses loopback by literal address and by name, before connecting', async () => {
    const closed: FetchOptions = { ...open, allowPrivate: false }
    expect(await fetchPublic(new URL(`${base}/page`), closed)).toEqual({
      ok: false,
      error: { kind: 'blocked' },
    })
    const port = new URL(base).port
    expect(await fetchPublic(new URL(`http://localhost:${port}/page`), closed)).toEqual({
      ok: false,
      error: { kind: 'blocked' },
    })
  })

  it('follows a few redirects, then gives up', async () => {
    const fetched = await fetchPublic(new URL(`${base}/hop/3`), open)
    expect(fetched.ok && fetched.value.url.pathname).toBe('/page')
    expect(fetched.ok && fetched.value.body.toString()).toBe('<title>ok</title>')
    const looping = await fetchPublic(new URL(`${base}/hop/9`), open)
    expect(looping).toEqual({ ok: false, error: { kind: 'failed', reason: 'too many redirects' } })
  })

  it('truncates or refuses bodies over the limit, and fails on errors', async () => {
    const cut = await fetchPublic(new URL(`${base}/big`), open)
    expect(cut.ok && cut.value.body.length).toBe(1000)
    const refused = await fetchPublic(new URL(`${base}/big`), { ...open, truncate: false })
    expect(refused).toEqual({ ok: false, error: { kind: 'too_large' } })
    const missing = await fetchPublic(new URL(`${base}/missing`), open)
    expect(missing).toEqual({ ok: false, error: { kind: 'failed', reason: 'status 404' } })
    const scheme = await fetchPublic(new URL('ftp://example.com/'), open)
    expect(scheme.ok).toBe(false)
  })
})
