import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { err, ok, type ServerName } from '@rhizome/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureLogs } from '../../testing/capture-logs.js'
import { makeTestPki, type TestPki } from '../../testing/test-ca.js'
import { createFederationClient, type FederationClient } from './federation-client.js'

/** What the remote answers per path: bytes of a type, or a JSON error. */
const ANSWERS: Readonly<Record<string, { status: number; type: string; body: Buffer }>> = {
  '/_matrix/federation/v1/media/download/bin': {
    status: 200,
    type: 'multipart/mixed; boundary=b',
    body: Buffer.from([0, 255, 13, 10, 1, 2, 3]),
  },
  '/_matrix/federation/v1/media/download/big': {
    status: 200,
    type: 'application/octet-stream',
    body: Buffer.alloc(2048, 1),
  },
  '/_matrix/federation/v1/media/download/missing': {
    status: 404,
    type: 'application/json',
    body: Buffer.from('{"errcode":"M_NOT_FOUND","error":"No such media"}'),
  },
}

let pki: TestPki
let server: Server
let port: number
let client: FederationClient
const seen: { url: string; authorization: string | undefined }[] = []

beforeAll(async () => {
  pki = makeTestPki(['bytes.test'], ['127.0.0.1'])
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization })
    const answer = ANSWERS[(req.url ?? '').split('?')[0] ?? '']
    if (answer === undefined) {
      res.writeHead(500).end()
      return
    }
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  const made = await createFederationClient({
    serverName: 'origin.test' as ServerName,
    signer: ({ uri }) => `X-Matrix signed=${uri}`,
    federation: {
      enabled: true,
      verifyTls: true,
      extraCaFiles: [pki.caPath],
      allowPrivateAddresses: true,
    },
    logger: captureLogs().logger,
    resolver: {
      resolveSrv: () => Promise.resolve(ok([])),
      lookupAddresses: (host) => Promise.resolve(ok(host === 'bytes.test' ? ['127.0.0.1'] : [])),
    },
    fetchWellKnown: () => Promise.resolve(err('no /.well-known in this test')),
  })
  if (!made.ok) throw new Error(made.error)
  client = made.value
})

afterAll(async () => {
  await client.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve()
    }),
  )
  pki.remove()
})

describe('requestBytes', () => {
  const destination = (): ServerName => `bytes.test:${port}` as ServerName

  it('reads a 2xx body as bytes with its type, signed, with the query', async () => {
    const answer = await client.requestBytes(
      destination(),
      '/_matrix/federation/v1/media/download/bin',
      { maxBytes: 100, query: { timeout_ms: '5' } },
    )
    expect(answer).toEqual({
      ok: true,
      value: {
        status: 200,
        contentType: 'multipart/mixed; boundary=b',
        body: Buffer.from([0, 255, 13, 10, 1, 2, 3]),
      },
    })
    expect(seen.at(-1)).toEqual({
      url: '/_matrix/federation/v1/media/download/bin?timeout_ms=5',
      authorization: 'X-Matrix signed=/_matrix/federation/v1/media/download/bin?timeout_ms=5',
    })
  })

  it('stops at maxBytes and reports error statuses with their JSON bodies', async () => {
    const big = await client.requestBytes(
      destination(),
      '/_matrix/federation/v1/media/download/big',
      {
        maxBytes: 1024,
      },
    )
    expect(!big.ok && big.error).toMatchObject({ kind: 'http', status: 200, body: null })
    const missing = await client.requestBytes(
      destination(),
      '/_matrix/federation/v1/media/download/missing',
      { maxBytes: 1024 },
    )
    expect(!missing.ok && missing.error).toMatchObject({
      kind: 'http',
      status: 404,
      body: { errcode: 'M_NOT_FOUND', error: 'No such media' },
    })
    const self = await client.requestBytes('origin.test' as ServerName, '/_matrix/x', {
      maxBytes: 1,
    })
    expect(!self.ok && self.error.kind).toBe('refused')
  })
})
