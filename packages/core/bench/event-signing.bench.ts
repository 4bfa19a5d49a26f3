/**
 * Event signatures with nodeCryptoProvider on realistic PDUs. The measured path is the whole of
 * verifyEventSignature (redaction, canonical JSON, base64 decoding, ed25519); the baseline is a raw
 * node:crypto ed25519 verification of the same precomputed bytes with a prepared KeyObject, i.e. the
 * floor that OpenSSL sets.
 */
import { createPublicKey, sign, verify, createPrivateKey, type KeyObject } from 'node:crypto'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { generateSigningKey, type SigningKey } from '../src/crypto/signing-key.js'
import { UNSIGNED_KEYS } from '../src/crypto/signing.js'
import { decodeBase64 } from '../src/encoding/base64.js'
import { hashAndSignEvent, verifyEventSignature } from '../src/events/event-signing.js'
import { checkContentHash, computeEventId } from '../src/events/hashes.js'
import { redactEvent } from '../src/events/redaction.js'
import { canonicalJsonWithout } from '../src/json/canonical-json.js'
import type { JsonObject } from '../src/json/json.js'
import { ROOM_VERSIONS } from '../src/room-versions/room-versions.js'
import type { RoomVersionRules } from '../src/room-versions/rules.js'
import { sampleEvents } from '../src/testing/sample-events.js'
import { compare, meanUtf8Bytes, section } from './harness.js'

interface Signed {
  readonly event: JsonObject
  readonly server: string
  readonly key: SigningKey
  /** For the baseline: the exact bytes signed, the raw signature and a ready KeyObject. */
  readonly message: Buffer
  readonly signature: Buffer
  readonly keyObject: KeyObject
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

function without(object: JsonObject, ...keys: string[]): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)))
}

function prepare(rules: RoomVersionRules): Signed[] {
  const keys = new Map<string, SigningKey>()
  const keyObjects = new Map<string, KeyObject>()
  const out: Signed[] = []
  for (const unsignedEvent of sampleEvents(1000, 7)) {
    const server = unsignedEvent['origin']
    if (typeof server !== 'string') throw new Error('bench setup: sample event without origin')
    let key = keys.get(server)
    if (key === undefined) {
      key = generateSigningKey(crypto)
      keys.set(server, key)
      keyObjects.set(
        server,
        createPublicKey({
          key: Buffer.concat([SPKI_ED25519_PREFIX, key.publicKey]),
          format: 'der',
          type: 'spki',
        }),
      )
    }
    const event = hashAndSignEvent(without(unsignedEvent, 'signatures'), rules, server, key, crypto)
    const message = Buffer.from(canonicalJsonWithout(redactEvent(event, rules), UNSIGNED_KEYS))
    const encoded = (event['signatures'] as Record<string, Record<string, string>>)[server]?.[
      key.keyId
    ]
    const signature = decodeBase64(encoded ?? '')
    if (!signature.ok) throw new Error('bench setup: bad signature')
    const keyObject = keyObjects.get(server)
    if (keyObject === undefined) throw new Error('bench setup: no key object')
    out.push({ event, server, key, message, signature: Buffer.from(signature.value), keyObject })
  }
  return out
}

export function run(): void {
  const rules = ROOM_VERSIONS.get('12') as RoomVersionRules
  const signed = prepare(rules)
  const n = signed.length
  const at = (i: number) => signed[i % n] as Signed
  const bytes = meanUtf8Bytes(signed.map((s) => JSON.stringify(s.event)))
  section(
    'event signatures (room v12, nodeCryptoProvider)',
    `${n} PDUs from ${new Set(signed.map((s) => s.server)).size} servers, mean ${Math.round(bytes)} bytes`,
  )
  const rawVerify = (i: number) => {
    const s = at(i)
    return verify(null, s.message, s.keyObject, s.signature)
  }
  compare(
    'verifyEventSignature',
    (i) => {
      const s = at(i)
      return verifyEventSignature(s.event, rules, s.server, s.key.keyId, s.key.publicKey, crypto).ok
    },
    rawVerify,
  )
  // What the core adds around ed25519, measured alone: the figure shows how far the rate above is
  // from the crypto floor, whatever the CPU.
  compare(
    'verification work without ed25519 (redact, canonical JSON, base64)',
    (i) => {
      const s = at(i)
      const encoded = (s.event['signatures'] as Record<string, Record<string, string>>)[s.server]
      const signature = decodeBase64(encoded?.[s.key.keyId] ?? '', { allowTrailingBits: true })
      return signature.ok && canonicalJsonWithout(redactEvent(s.event, rules), UNSIGNED_KEYS)
    },
    rawVerify,
  )
  compare(
    'signature + content hash + event ID',
    (i) => {
      const s = at(i)
      const sig = verifyEventSignature(
        s.event,
        rules,
        s.server,
        s.key.keyId,
        s.key.publicKey,
        crypto,
      )
      return (
        sig.ok && checkContentHash(s.event, crypto) && computeEventId(s.event, rules, crypto).ok
      )
    },
    rawVerify,
  )
  const privateKeys = signed.map((s) =>
    createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, s.key.seed]),
      format: 'der',
      type: 'pkcs8',
    }),
  )
  const unsignedEvents = signed.map((s) => without(s.event, 'signatures', 'hashes'))
  compare(
    'hashAndSignEvent',
    (i) => {
      const s = at(i)
      return hashAndSignEvent(unsignedEvents[i % n] ?? {}, rules, s.server, s.key, crypto)
    },
    (i) => sign(null, at(i).message, privateKeys[i % n] as KeyObject),
  )
}
