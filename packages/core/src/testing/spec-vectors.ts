/**
 * The spec's cryptographic test vectors (appendices §Cryptographic Test Vectors): the signing key
 * every vector uses, and the inputs and expected outputs of JSON signing and event signing. The
 * event vectors predate room version 11 (they keep the top-level `origin`), so they hold for the
 * redaction rules of versions 1-10.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { signingKeyFromSeed, type SigningKey } from '../crypto/signing-key.js'
import { decodeBase64 } from '../encoding/base64.js'
import type { JsonObject } from '../json/json.js'

/** The seed of the test vectors. Its last character has non-zero unused bits. */
export const SPEC_SEED_BASE64 = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'
export const SPEC_SERVER_NAME = 'domain'
export const SPEC_KEY_ID = 'ed25519:1'

export function specSigningKey(crypto: CryptoProvider): SigningKey {
  const seed = decodeBase64(SPEC_SEED_BASE64, { allowTrailingBits: true })
  if (!seed.ok) throw new Error(seed.error.error)
  const key = signingKeyFromSeed(seed.value, '1', crypto)
  if (!key.ok) throw new Error(key.error.error)
  return key.value
}

export const SPEC_SIGNED_EMPTY_OBJECT: JsonObject = {
  signatures: {
    domain: {
      'ed25519:1':
        'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ',
    },
  },
}

export const SPEC_OBJECT_WITH_DATA: JsonObject = { one: 1, two: 'Two' }

export const SPEC_SIGNED_OBJECT_WITH_DATA: JsonObject = {
  one: 1,
  signatures: {
    domain: {
      'ed25519:1':
        'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
    },
  },
  two: 'Two',
}

export const SPEC_MINIMAL_EVENT: JsonObject = {
  room_id: '!x:domain',
  sender: '@a:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  signatures: {},
  hashes: {},
  type: 'X',
  content: {},
  prev_events: [],
  auth_events: [],
  depth: 3,
  unsigned: { age_ts: 1000000 },
}

export const SPEC_SIGNED_MINIMAL_EVENT: JsonObject = {
  auth_events: [],
  content: {},
  depth: 3,
  hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
  origin: 'domain',
  origin_server_ts: 1000000,
  prev_events: [],
  room_id: '!x:domain',
  sender: '@a:domain',
  signatures: {
    domain: {
      'ed25519:1':
        'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
    },
  },
  type: 'X',
  unsigned: { age_ts: 1000000 },
}

export const SPEC_REDACTABLE_EVENT: JsonObject = {
  content: { body: 'Here is the message content' },
  event_id: '$0:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  signatures: {},
  unsigned: { age_ts: 1000000 },
}

export const SPEC_SIGNED_REDACTABLE_EVENT: JsonObject = {
  content: { body: 'Here is the message content' },
  event_id: '$0:domain',
  hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
  origin: 'domain',
  origin_server_ts: 1000000,
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  signatures: {
    domain: {
      'ed25519:1':
        'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA',
    },
  },
  unsigned: { age_ts: 1000000 },
}
