import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import {
  decodeBase64,
  generateSigningKey,
  parseServerName,
  signingKeyFromSeed,
  type ServerName,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import {
  createRequestSigner,
  parseXMatrixHeader,
  verifyRequestSignature,
  type XMatrixCredentials,
} from './x-matrix.js'

function name(raw: string): ServerName {
  const parsed = parseServerName(raw)
  if (!parsed.ok) throw new Error(raw)
  return parsed.value
}

const origin = name('origin.hs.example.com')
const destination = name('destination.hs.example.com')

/** The signing key of the spec's appendices (§Signing JSON), seed and ID as printed there. */
function appendixKey() {
  const seed = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1', {
    allowTrailingBits: true,
  })
  if (!seed.ok) throw new Error('seed')
  const key = signingKeyFromSeed(seed.value, '1', crypto)
  if (!key.ok) throw new Error('key')
  return key.value
}

function parsed(header: string): XMatrixCredentials {
  const result = parseXMatrixHeader(header)
  if (!result.ok) throw new Error(result.error)
  return result.value
}

describe('createRequestSigner', () => {
  it('signs the canonical JSON of method, uri, origin, destination and content', () => {
    const key = appendixKey()
    const sign = createRequestSigner(origin, key, crypto)
    const header = sign({
      method: 'PUT',
      uri: '/_matrix/federation/v1/send/txn1?x=%20y',
      destination,
      content: { pdus: [], edus: [{ edu_type: 'm.typing', content: {} }], origin: 'ö' },
    })
    expect(header).toMatch(
      /^X-Matrix origin="origin\.hs\.example\.com",destination="destination\.hs\.example\.com",key="ed25519:1",sig="[A-Za-z0-9+/]{86}"$/,
    )
    const sig = /sig="([^"]+)"/.exec(header)?.[1] ?? ''
    // Written out by hand, independently of the core's canonical JSON, and checked with Node's
    // own ed25519: keys sorted, no spaces, UTF-8 as is.
    const canonical =
      '{"content":{"edus":[{"content":{},"edu_type":"m.typing"}],"origin":"ö","pdus":[]},' +
      '"destination":"destination.hs.example.com","method":"PUT",' +
      '"origin":"origin.hs.example.com","uri":"/_matrix/federation/v1/send/txn1?x=%20y"}'
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey])
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' })
    expect(
      nodeVerify(null, Buffer.from(canonical, 'utf8'), publicKey, Buffer.from(sig, 'base64')),
    ).toBe(true)
  })

  it('leaves content out of what it signs for a request without a body', () => {
    const key = generateSigningKey(crypto)
    const header = createRequestSigner(
      origin,
      key,
      crypto,
    )({ method: 'GET', uri: '/a', destination })
    const credentials = parsed(header)
    const request = { method: 'GET', uri: '/a', destination }
    expect(verifyRequestSignature(credentials, request, key.publicKey, crypto).ok).toBe(true)
    const withBody = { ...request, content: {} }
    expect(verifyRequestSignature(credentials, withBody, key.publicKey, crypto).ok).toBe(false)
  })
})

describe('verifyRequestSignature', () => {
  const key = generateSigningKey(crypto)
  const sign = createRequestSigner(origin, key, crypto)
  const request = { method: 'POST', uri: '/_matrix/key/v2/query', destination, content: { a: 1 } }
  const credentials = parsed(sign(request))

  it('accepts the request as signed and refuses every changed part', () => {
    expect(verifyRequestSignature(credentials, request, key.publicKey, crypto).ok).toBe(true)
    const changes = [
      { ...request, method: 'PUT' },
      { ...request, uri: '/_matrix/key/v2/query?x=1' },
      { ...request, destination: name('elsewhere.example') },
      { ...request, content: { a: 2 } },
    ]
    for (const changed of changes) {
      const result = verifyRequestSignature(credentials, changed, key.publicKey, crypto)
      expect(result.ok).toBe(false)
    }
    const otherOrigin = { ...credentials, origin: name('evil.example') }
    expect(verifyRequestSignature(otherOrigin, request, key.publicKey, crypto).ok).toBe(false)
    const otherKey = generateSigningKey(crypto).publicKey
    expect(verifyRequestSignature(credentials, request, otherKey, crypto).ok).toBe(false)
  })
})

describe('parseXMatrixHeader', () => {
  it('reads the header as the spec prints it', () => {
    expect(
      parsed(
        'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."',
      ),
    ).toEqual({ origin, destination, key: 'ed25519:key1', sig: 'ABCDEF...' })
  })

  it('takes names in every case and order, tokens unquoted, spaces, tabs and empty elements', () => {
    expect(
      parsed(
        'x-matrix   SIG=abc/+d== ,\tKey = "ed25519:k" ,, Origin=origin.hs.example.com:8448,' +
          'unknown="ignored, really",Destination="destination.hs.example.com"',
      ),
    ).toEqual({
      origin: name('origin.hs.example.com:8448'),
      destination,
      key: 'ed25519:k',
      sig: 'abc/+d==',
    })
  })

  it('unescapes backslash pairs in quoted values', () => {
    expect(parsed('X-Matrix origin="a\\.example",key="ed25519:\\k",sig="\\"x\\\\"')).toEqual({
      origin: name('a.example'),
      destination: undefined,
      key: 'ed25519:k',
      sig: '"x\\',
    })
  })

  it('accepts a header without destination, as older servers send', () => {
    expect(parsed('X-Matrix origin=a.example,key=ed25519:k,sig=s').destination).toBeUndefined()
  })

  const refused: readonly [string, RegExp][] = [
    ['', /no scheme/],
    ['Bearer abc', /not X-Matrix/],
    ['X-Matrixorigin=a', /no scheme/],
    ['X-Matrix', /no origin/],
    ['X-Matrix key="ed25519:k",sig="s"', /no origin/],
    ['X-Matrix origin="a.example",sig="s"', /no key/],
    ['X-Matrix origin="a.example",key="ed25519:k"', /no sig/],
    ['X-Matrix origin="a.example",origin="b.example",key="ed25519:k",sig="s"', /twice/],
    ['X-Matrix origin="a.example",ORIGIN="a.example",key="ed25519:k",sig="s"', /twice/],
    ['X-Matrix origin="a.example,key="ed25519:k",sig="s"', /expected ','/],
    ['X-Matrix origin="a.example",key="ed25519:k",sig="s', /unterminated/],
    ['X-Matrix origin="a.example" key="ed25519:k",sig="s"', /expected ','/],
    ['X-Matrix origin,key="ed25519:k",sig="s"', /no value/],
    ['X-Matrix origin=,key="ed25519:k",sig="s"', /empty value/],
    ['X-Matrix origin=a"b,key="ed25519:k",sig="s"', /expected ','/],
    ['X-Matrix origin="a\u0000b",key="ed25519:k",sig="s"', /bad character/],
    ['X-Matrix origin="a\\\u0001",key="ed25519:k",sig="s"', /bad escape/],
    ['X-Matrix origin="not a name",key="ed25519:k",sig="s"', /origin: server name/],
    ['X-Matrix origin="a.example",destination="b:0",key="ed25519:k",sig="s"', /destination/],
    ['X-Matrix origin="a.example",key="ed25519:a+b",sig="s"', /key:/],
    ['X-Matrix origin="a.example",key="nocolon",sig="s"', /key:/],
    ['X-Matrix =x', /unexpected character/],
  ]
  it.each(refused)('refuses %j', (header, message) => {
    const result = parseXMatrixHeader(header)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatch(message)
  })
})
