import { err, ok } from '@rhizome/core'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import type { Route } from './endpoint.js'
import { tooLarge } from './errors.js'
import { RawResponse } from './raw-response.js'

const counted: Route<undefined> = {
  method: 'POST',
  paths: ['/stream'],
  auth: 'none',
  rateLimit: undefined,
  streamBody: true,
  headers: { 'x-extra': 'yes' },
  run: async (request) => {
    const streamed = request.streamed
    if (streamed === undefined) return err(tooLarge('no stream'))
    let size = 0
    for await (const chunk of streamed.stream as AsyncIterable<Buffer>) size += chunk.length
    if (size > 2 * 1024 * 1024) return err(tooLarge())
    return ok({
      size,
      declared: streamed.contentLength ?? null,
      type: streamed.contentType ?? null,
    })
  },
}

const raw: Route<undefined> = {
  method: 'GET',
  paths: ['/raw'],
  auth: 'none',
  rateLimit: undefined,
  run: () =>
    Promise.resolve(
      ok(new RawResponse(203, { 'content-type': 'text/plain' }, Readable.from(['a', 'b']))),
    ),
}

const json: Route<undefined> = {
  method: 'POST',
  paths: ['/json'],
  auth: 'none',
  rateLimit: undefined,
  run: (request) => Promise.resolve(ok({ size: request.body?.length ?? 0 })),
}

describe('streamed bodies and raw responses', () => {
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('hands streaming routes their body unread, past the JSON limit, with their headers', async () => {
    const server = await startTestServer({
      routes: [counted, raw, json],
      services: undefined,
      maxBodySize: 1024,
    })
    servers.push(server)
    const big = new Uint8Array(1024 * 1024)
    const streamed = await fetch(`${server.url}/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-thing' },
      body: big,
    })
    expect(streamed.headers.get('x-extra')).toBe('yes')
    expect(await streamed.json()).toEqual({
      size: big.length,
      declared: big.length,
      type: 'application/x-thing',
    })
    const empty = await fetch(`${server.url}/stream`, { method: 'POST' })
    expect(await empty.json()).toEqual({ size: 0, declared: 0, type: null })
    const tooBig = await fetch(`${server.url}/stream`, {
      method: 'POST',
      body: new Uint8Array(3 * 1024 * 1024),
    })
    expect(tooBig.status).toBe(413)
    expect(tooBig.headers.get('x-extra')).toBe('yes')

    // Other routes keep the buffered body and its limit.
    const small = await fetch(`${server.url}/json`, { method: 'POST', body: 'abc' })
    expect(await small.json()).toEqual({ size: 3 })
    const over = await fetch(`${server.url}/json`, { method: 'POST', body: 'x'.repeat(2048) })
    expect(over.status).toBe(413)

    const rawReply = await fetch(`${server.url}/raw`)
    expect(rawReply.status).toBe(203)
    expect(rawReply.headers.get('content-type')).toBe('text/plain')
    expect(rawReply.headers.get('access-control-allow-origin')).toBe('*')
    expect(await rawReply.text()).toBe('ab')
    const wrongMethod = await fetch(`${server.url}/stream`, { method: 'GET' })
    expect(wrongMethod.status).toBe(405)
  })
})
