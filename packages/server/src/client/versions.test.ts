import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { SUPPORTED_VERSIONS, versionsRoute } from './versions.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ routes: [versionsRoute], services: {} })
})
afterAll(async () => {
  await server.close()
})

describe('GET /_matrix/client/versions', () => {
  it('lists r0 and v1.x releases up to v1.19, with no unstable features, as the spec shapes it', async () => {
    const response = await fetch(`${server.url}/_matrix/client/versions`)
    expect(response.status).toBe(200)
    const body: unknown = await response.json()
    expectMatchesSpec(
      'client-server',
      'versions.yaml',
      'GET',
      '/_matrix/client/versions',
      200,
      body,
    )
    expect(body).toEqual({ versions: SUPPORTED_VERSIONS, unstable_features: {} })
    expect(SUPPORTED_VERSIONS).toContain('r0.6.1')
    expect(SUPPORTED_VERSIONS).toContain('v1.1')
    expect(SUPPORTED_VERSIONS.at(-1)).toBe('v1.19')
    expect(SUPPORTED_VERSIONS).toHaveLength(27)
  })

  it('ignores a token it does not need, even an unknown one', async () => {
    const response = await fetch(`${server.url}/_matrix/client/versions`, {
      headers: { authorization: 'Bearer whatever' },
    })
    expect(response.status).toBe(200)
  })

  it('answers HEAD and refuses POST with 405', async () => {
    expect((await fetch(`${server.url}/_matrix/client/versions`, { method: 'HEAD' })).status).toBe(
      200,
    )
    const post = await fetch(`${server.url}/_matrix/client/versions`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(await post.json()).toMatchObject({ errcode: 'M_UNRECOGNIZED' })
  })
})
