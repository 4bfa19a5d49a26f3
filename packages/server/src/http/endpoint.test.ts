import { err, ok, parseRoomId, parseUserId, type RoomId } from '@rhizome/core'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { captureLogs } from '../testing/capture-logs.js'
import type { Requester } from './authenticate.js'
import { clientV3Paths, defineEndpoint, handle, type RawRequest } from './endpoint.js'
import { serverError } from './errors.js'

function raw(overrides: Partial<RawRequest> = {}): RawRequest {
  return {
    params: {},
    query: new URLSearchParams(),
    body: undefined,
    requester: undefined,
    context: {
      id: 'r-1',
      ip: '127.0.0.1',
      log: captureLogs().logger,
      signal: new AbortController().signal,
    },
    ...overrides,
  }
}

describe('defineEndpoint', () => {
  it('refuses definitions whose paths and parameters disagree', () => {
    expect(() => defineEndpoint({ method: 'GET', paths: [], auth: 'none' })).toThrow(
      /at least one path/,
    )
    expect(() => defineEndpoint({ method: 'GET', paths: ['x'], auth: 'none' })).toThrow(
      /must start with/,
    )
    expect(() =>
      defineEndpoint({ method: 'GET', paths: ['/rooms/:roomId'], auth: 'none' }),
    ).toThrow(/no parser for path parameter roomId/)
    expect(() =>
      defineEndpoint({
        method: 'GET',
        paths: ['/rooms'],
        auth: 'none',
        params: { roomId: parseRoomId },
      }),
    ).toThrow(/no :roomId in path/)
  })

  it('gives v3 and r0 paths for client endpoints', () => {
    expect(clientV3Paths('/login')).toEqual([
      '/_matrix/client/v3/login',
      '/_matrix/client/r0/login',
    ])
  })
})

describe('handle', () => {
  const endpoint = defineEndpoint({
    method: 'PUT',
    paths: ['/rooms/:roomId/thing'],
    auth: 'required',
    params: { roomId: parseRoomId },
    query: (q) => ok({ limit: Number(q.get('limit') ?? '10') }),
    body: (json) =>
      typeof json['n'] === 'number' ? ok({ n: json['n'] }) : err(serverError('M_BAD_JSON', 'n')),
  })

  const route = handle(endpoint, (input, services: { readonly factor: number }) => {
    expectTypeOf(input.params.roomId).toEqualTypeOf<RoomId>()
    expectTypeOf(input.query).toEqualTypeOf<{ limit: number }>()
    expectTypeOf(input.body).toEqualTypeOf<{ n: number }>()
    expectTypeOf(input.requester).toEqualTypeOf<Requester>()
    return Promise.resolve(
      ok({ room: input.params.roomId, total: input.body.n * services.factor * input.query.limit }),
    )
  })

  const userId = parseUserId('@a:b')
  if (!userId.ok) throw new Error('bad fixture')
  const requester: Requester = { userId: userId.value, deviceId: undefined, isGuest: false }

  it('parses params, query and body and hands typed values to the handler', async () => {
    const result = await route.run(
      raw({
        params: { roomId: '!room:example.org' },
        query: new URLSearchParams('limit=3'),
        body: new TextEncoder().encode('{"n":2}'),
        requester,
      }),
      { factor: 5 },
    )
    expect(result).toEqual({ ok: true, value: { room: '!room:example.org', total: 30 } })
    expect(route.method).toBe('PUT')
    expect(route.auth).toBe('required')
    expect(route.rateLimit).toBeUndefined()
  })

  it('stops at the first part that does not parse', async () => {
    const bad = async (request: Partial<RawRequest>) => {
      const result = await route.run(raw({ requester, ...request }), { factor: 1 })
      return result.ok ? 'ok' : result.error.errcode
    }
    expect(
      await bad({ params: { roomId: 'nope' }, body: new TextEncoder().encode('{"n":1}') }),
    ).toBe('M_INVALID_PARAM')
    expect(await bad({ params: {} })).toBe('M_MISSING_PARAM')
    expect(await bad({ params: { roomId: '!r:x' } })).toBe('M_NOT_JSON')
    expect(
      await bad({ params: { roomId: '!r:x' }, body: new TextEncoder().encode('{"n":"x"}') }),
    ).toBe('M_BAD_JSON')
  })

  it('types an endpoint without parsers as undefined query and body', async () => {
    const bare = handle(
      defineEndpoint({ method: 'GET', paths: ['/bare'], auth: 'optional' }),
      (input) => {
        expectTypeOf(input.query).toEqualTypeOf<undefined>()
        expectTypeOf(input.body).toEqualTypeOf<undefined>()
        expectTypeOf(input.requester).toEqualTypeOf<Requester | undefined>()
        return Promise.resolve(ok({ query: typeof input.query, body: typeof input.body }))
      },
    )
    expect(await bare.run(raw({ body: new TextEncoder().encode('not json') }), {})).toEqual({
      ok: true,
      value: { query: 'undefined', body: 'undefined' },
    })
  })
})
