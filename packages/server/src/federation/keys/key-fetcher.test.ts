import {
  err,
  generateSigningKey,
  publicKeyBase64,
  roomVersionRules,
  signJson,
  type JsonObject,
  type ServerName,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { answer, FakeRequester, FakeServer } from '../../testing/fake-key-servers.js'
import { createKeyFetcher, minimumValidUntilForEvent, type KeyFetcher } from './key-fetcher.js'
import { MAX_KEY_VALIDITY_MS } from './key-response.js'

const ours = 'ours.example' as ServerName
const T0 = 1_700_000_000_000
const DAY = 24 * 3600 * 1000

let storage: Storage
let requester: FakeRequester
let clock: number
let remote: FakeServer
let notary: FakeServer

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:')
  requester = new FakeRequester()
  clock = T0
  remote = new FakeServer('remote.example' as ServerName)
  notary = new FakeServer('notary.example' as ServerName)
})

afterEach(() => storage.close())

function fetcher(trustedKeyServers: readonly ServerName[] = []): KeyFetcher {
  return createKeyFetcher({
    serverName: ours,
    ownKeys: [ownKey],
    requester,
    store: storage.remoteKeys,
    trustedKeyServers,
    crypto,
    now: () => clock,
  })
}

const ownKey = generateSigningKey(crypto, 'own')

function expectKey(
  result: Awaited<ReturnType<KeyFetcher['verifyKey']>>,
  expected: Uint8Array,
): void {
  if (!result.ok) throw new Error(result.error)
  expect(Buffer.from(result.value).equals(Buffer.from(expected))).toBe(true)
}

function expectNoKey(result: Awaited<ReturnType<KeyFetcher['verifyKey']>>, why: RegExp): void {
  expect(result.ok).toBe(false)
  if (!result.ok) expect(result.error).toMatch(why)
}

describe('fetching directly from the key server', () => {
  it('verifies, stores and then answers from the store', async () => {
    remote.serveKeys(requester, () => clock + DAY)
    const keys = fetcher()
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), remote.key.publicKey)
    expect(requester.callsTo(remote.name)).toEqual([
      { destination: remote.name, method: 'GET', path: '/_matrix/key/v2/server', body: undefined },
    ])
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), remote.key.publicKey)
    expect(requester.calls).toHaveLength(1)
    const stored = await storage.remoteKeys.getResponse(remote.name)
    expect(stored?.response['server_name']).toBe(remote.name)
    expect(stored?.validUntilTs).toBe(T0 + DAY)
  })

  it('refuses a response whose signature does not verify', async () => {
    requester.on(remote.name, () => {
      const body = remote.keyResponse(clock + DAY)
      return answer({ ...body, valid_until_ts: clock + 2 * DAY })
    })
    expectNoKey(await fetcher().verifyKey(remote.name, remote.key.keyId, clock), /does not verify/)
    expect(await storage.remoteKeys.getKeys(remote.name)).toEqual([])
  })

  it('refuses a response signed only by a key it does not list', async () => {
    const stranger = generateSigningKey(crypto, 'stranger')
    requester.on(remote.name, () => answer(remote.keyResponse(clock + DAY, stranger)))
    expectNoKey(
      await fetcher().verifyKey(remote.name, remote.key.keyId, clock),
      /not signed with one of its verify_keys/,
    )
  })

  it("refuses another server's keys, even well signed", async () => {
    const impostor = new FakeServer('impostor.example' as ServerName, remote.key.keyId.slice(8))
    requester.on(remote.name, () => answer(impostor.keyResponse(clock + DAY)))
    expectNoKey(
      await fetcher().verifyKey(remote.name, remote.key.keyId, clock),
      /is for impostor\.example, not remote\.example/,
    )
    expect(await storage.remoteKeys.getKeys(impostor.name)).toEqual([])
  })

  it('refuses malformed responses without storing them', async () => {
    const bodies: readonly JsonObject[] = [
      { ...remote.keyResponse(clock + DAY), verify_keys: { 'ed25519:x': { key: 'short' } } },
      { ...remote.keyResponse(clock + DAY), valid_until_ts: 'soon' },
      { ...remote.keyResponse(clock + DAY), old_verify_keys: { 'ed25519:o': { key: 'x' } } },
      { ...remote.keyResponse(clock + DAY), signatures: {} },
    ]
    for (const body of bodies) {
      const keys = fetcher()
      requester.on(remote.name, () => answer(body))
      expect((await keys.verifyKey(remote.name, remote.key.keyId, clock)).ok).toBe(false)
    }
    requester.on(remote.name, () => answer(['not', 'an', 'object']))
    expect((await fetcher().verifyKey(remote.name, remote.key.keyId, clock)).ok).toBe(false)
    expect(await storage.remoteKeys.getKeys(remote.name)).toEqual([])
  })
})

describe('key validity', () => {
  it('refetches a key not valid long enough, and refuses one that stays too short', async () => {
    let validUntil = T0 + 1000
    remote.serveKeys(requester, () => validUntil)
    const keys = fetcher()
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, T0 + 500), remote.key.publicKey)
    expectNoKey(await keys.verifyKey(remote.name, remote.key.keyId, T0 + 2000), /valid until/)
    expect(requester.calls).toHaveLength(2)

    // The server extends its keys; the negative cache holds until it lapses.
    validUntil = T0 + DAY
    expectNoKey(await keys.verifyKey(remote.name, remote.key.keyId, T0 + 2000), /so soon/)
    clock += 61_000
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, T0 + 2000), remote.key.publicKey)
    expect(requester.calls).toHaveLength(3)
  })

  it('trusts a key for at most seven days after fetching it', async () => {
    remote.serveKeys(requester, () => clock + 30 * DAY)
    const keys = fetcher()
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), remote.key.publicKey)
    const [stored] = await storage.remoteKeys.getKeys(remote.name)
    expect(stored?.validUntilTs).toBe(T0 + MAX_KEY_VALIDITY_MS)
    expect((await storage.remoteKeys.getResponse(remote.name))?.validUntilTs).toBe(T0 + 30 * DAY)
    expectNoKey(await keys.verifyKey(remote.name, remote.key.keyId, T0 + 8 * DAY), /valid until/)
  })

  it('uses an old key up to its expiry, and for rooms before v5 whatever its age', async () => {
    const old = generateSigningKey(crypto, 'old')
    remote.oldKeys.push({ key: old, expiredTs: T0 - 1000 })
    remote.serveKeys(requester, () => clock + DAY)
    const keys = fetcher()
    const v4 = roomVersionRules('4')
    const v5 = roomVersionRules('5')
    if (v4 === undefined || v5 === undefined) throw new Error('room versions')
    const before = minimumValidUntilForEvent(v5, T0 - 2000)
    const after = minimumValidUntilForEvent(v5, T0 - 500)
    expect(minimumValidUntilForEvent(v4, T0 - 500)).toBe(0)
    expect(after).toBe(T0 - 500)
    expectKey(await keys.verifyKey(remote.name, old.keyId, before), old.publicKey)
    expectNoKey(await keys.verifyKey(remote.name, old.keyId, after), /valid until/)
    expectKey(await keys.verifyKey(remote.name, old.keyId, 0), old.publicKey)
    // Requests are checked against now: an old key never authenticates one.
    expectNoKey(await keys.verifyKey(remote.name, old.keyId, clock), /no key ed25519:old/)
  })
})

describe('fetch economy', () => {
  it('asks a server once for concurrent lookups', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    requester.on(remote.name, async () => {
      await gate
      return answer(remote.keyResponse(clock + DAY))
    })
    const keys = fetcher()
    const lookups = Array.from({ length: 5 }, () =>
      keys.verifyKey(remote.name, remote.key.keyId, clock),
    )
    await new Promise((resolve) => setTimeout(resolve, 10))
    release()
    for (const result of await Promise.all(lookups)) expectKey(result, remote.key.publicKey)
    expect(requester.calls).toHaveLength(1)
  })

  it('does not ask an unreachable server again for a while', async () => {
    const keys = fetcher()
    expectNoKey(await keys.verifyKey(remote.name, 'ed25519:x', clock), /not reachable/)
    expectNoKey(await keys.verifyKey(remote.name, 'ed25519:x', clock), /so soon/)
    expect(requester.calls).toHaveLength(1)
    clock += 61_000
    expectNoKey(await keys.verifyKey(remote.name, 'ed25519:x', clock), /not reachable/)
    expect(requester.calls).toHaveLength(2)
  })

  it("answers this server's own keys without asking anyone", async () => {
    const keys = fetcher([notary.name])
    expectKey(await keys.verifyKey(ours, ownKey.keyId, clock + 100 * DAY), ownKey.publicKey)
    expectNoKey(await keys.verifyKey(ours, 'ed25519:other', clock), /no key/)
    expect(requester.calls).toEqual([])
  })
})

describe('fetching through notaries', () => {
  /** The notary serves its own keys and relays `relayed()` for queries, signed by `signer`. */
  function serveNotary(relayed: () => readonly JsonObject[], signer = notary.key): void {
    requester.on(notary.name, (call) => {
      if (call.path === '/_matrix/key/v2/server') return answer(notary.keyResponse(clock + DAY))
      return answer({
        server_keys: relayed().map((entry) => signJson(entry, notary.name, signer, crypto)),
      })
    })
  }

  it('takes keys relayed by a trusted notary when the server does not answer', async () => {
    serveNotary(() => [remote.keyResponse(clock + DAY)])
    const keys = fetcher([notary.name])
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), remote.key.publicKey)
    const query = requester.callsTo(notary.name).find((call) => call.method === 'POST')
    expect(query).toEqual({
      destination: notary.name,
      method: 'POST',
      path: '/_matrix/key/v2/query',
      body: {
        server_keys: { [remote.name]: { [remote.key.keyId]: { minimum_valid_until_ts: clock } } },
      },
    })
    // Stored as the origin signed it, without the notary's signature.
    const stored = await storage.remoteKeys.getResponse(remote.name)
    expect(Object.keys(stored?.response['signatures'] ?? {})).toEqual([remote.name])
  })

  it('refuses relayed keys the notary did not sign with its published key', async () => {
    serveNotary(() => [remote.keyResponse(clock + DAY)], generateSigningKey(crypto, 'n'))
    expectNoKey(
      await fetcher([notary.name]).verifyKey(remote.name, remote.key.keyId, clock),
      /notary notary\.example/,
    )
    expect(await storage.remoteKeys.getKeys(remote.name)).toEqual([])
  })

  it('refuses relayed keys the origin did not sign, and keys of other servers', async () => {
    const forged = { ...remote.keyResponse(clock + DAY) }
    const impostor = new FakeServer('impostor.example' as ServerName)
    serveNotary(() => [
      {
        ...forged,
        verify_keys: { [remote.key.keyId]: { key: publicKeyBase64(impostor.key) } },
      },
      impostor.keyResponse(clock + DAY),
    ])
    expectNoKey(
      await fetcher([notary.name]).verifyKey(remote.name, remote.key.keyId, clock),
      /does not verify/,
    )
    expect(await storage.remoteKeys.getKeys(remote.name)).toEqual([])
    expect(await storage.remoteKeys.getKeys(impostor.name)).toEqual([])
  })

  it('asks the notaries a caller names after the configured ones, even after a failure', async () => {
    requester.on(remote.name, () => err({ kind: 'unreachable', message: 'down' }))
    serveNotary(() => [remote.keyResponse(clock + DAY)])
    const keys = fetcher()
    // Without a notary to ask, the server being down means no key...
    expectNoKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), /down/)
    // ...but the server that handed over the events holds it.
    expectKey(
      await keys.verifyKey(remote.name, remote.key.keyId, clock, [notary.name]),
      remote.key.publicKey,
    )
    expect(requester.callsTo(notary.name).some((call) => call.method === 'POST')).toBe(true)
  })

  it('tries the next notary when one fails', async () => {
    const second = new FakeServer('second.example' as ServerName)
    requester.on(notary.name, () => err({ kind: 'unreachable', message: 'down' }))
    requester.on(second.name, (call) => {
      if (call.path === '/_matrix/key/v2/server') return answer(second.keyResponse(clock + DAY))
      const entry = signJson(remote.keyResponse(clock + DAY), second.name, second.key, crypto)
      return answer({ server_keys: [entry] })
    })
    const keys = fetcher([notary.name, second.name])
    expectKey(await keys.verifyKey(remote.name, remote.key.keyId, clock), remote.key.publicKey)
  })
})
