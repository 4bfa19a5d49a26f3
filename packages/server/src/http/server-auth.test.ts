import { generateSigningKey, ok, type ServerName } from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFederationAuthenticator } from '../federation/auth/authenticate-federation.js'
import { createRequestSigner } from '../federation/auth/x-matrix.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { defineEndpoint, handle } from './endpoint.js'

const ours = 'ours.example' as ServerName
const remote = 'remote.example' as ServerName
const remoteKey = generateSigningKey(crypto, 'r')
const sign = createRequestSigner(remote, remoteKey, crypto)

const whoAmI = handle(
  defineEndpoint({
    method: 'PUT',
    paths: ['/_matrix/federation/v1/test/:thing'],
    auth: 'federation',
    params: { thing: (raw: string) => ok(raw) },
    body: (json) => ok(json),
  }),
  ({ origin, params, body }) => Promise.resolve(ok({ origin, thing: params.thing, body })),
)

let withAuth: TestServer
let withoutAuth: TestServer

beforeAll(async () => {
  const authenticateServer = createFederationAuthenticator({
    serverName: ours,
    keys: {
      verifyKey: (server, keyId) =>
        Promise.resolve(
          server === remote && keyId === remoteKey.keyId
            ? ok(remoteKey.publicKey)
            : { ok: false, error: 'unknown' },
        ),
    },
    crypto,
    now: () => Date.now(),
  })
  withAuth = await startTestServer({ routes: [whoAmI], services: {}, authenticateServer })
  withoutAuth = await startTestServer({ routes: [whoAmI], services: {} })
})

afterAll(async () => {
  await withAuth.close()
  await withoutAuth.close()
})

async function put(
  server: TestServer,
  uri: string,
  body: string,
  authorization: string | undefined,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${uri}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe("routes with auth: 'federation'", () => {
  // Percent-encoded as sent: the route sees the decoded parameter, the signature the raw target.
  const uri = '/_matrix/federation/v1/test/a%20b?x=1&y=%2F'
  const content = { hello: 'world' }
  const authorization = sign({ method: 'PUT', uri, destination: ours, content })

  it('run with the origin of a correctly signed request', async () => {
    const answer = await put(withAuth, uri, JSON.stringify(content), authorization)
    expect(answer).toEqual({ status: 200, body: { origin: remote, thing: 'a b', body: content } })
  })

  it('are refused 401 M_UNAUTHORIZED without a valid signature', async () => {
    const body = JSON.stringify(content)
    for (const [server, header, sent] of [
      [withAuth, undefined, body],
      [withAuth, 'Bearer token', body],
      [withAuth, authorization, JSON.stringify({ hello: 'there' })],
      [withoutAuth, authorization, body],
    ] as const) {
      const answer = await put(server, uri, sent, header)
      expect(answer.status).toBe(401)
      expect(answer.body['errcode']).toBe('M_UNAUTHORIZED')
    }
  })
})
