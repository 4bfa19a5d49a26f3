import { afterAll, describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { testConfig } from '../testing/test-config.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { wellKnownClientRoute } from './well-known-client.js'

const servers: TestServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

async function serve(raw: Record<string, unknown>): Promise<TestServer> {
  const server = await startTestServer({
    routes: [wellKnownClientRoute],
    services: { config: testConfig('/nonexistent', raw) },
  })
  servers.push(server)
  return server
}

describe('GET /.well-known/matrix/client', () => {
  it('points clients at public_baseurl', async () => {
    const server = await serve({ public_baseurl: 'https://matrix.example.org' })
    const response = await fetch(`${server.url}/.well-known/matrix/client`)
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    const body: unknown = await response.json()
    expectMatchesSpec(
      'client-server',
      'wellknown.yaml',
      'GET',
      '/.well-known/matrix/client',
      200,
      body,
    )
    expect(body).toEqual({ 'm.homeserver': { base_url: 'https://matrix.example.org/' } })
  })

  it('answers 404 M_NOT_FOUND without public_baseurl, which clients read as "no information"', async () => {
    const server = await serve({})
    const response = await fetch(`${server.url}/.well-known/matrix/client`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ errcode: 'M_NOT_FOUND' })
  })
})
