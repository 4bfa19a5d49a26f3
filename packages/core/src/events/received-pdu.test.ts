import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { generateSigningKey, type SigningKey } from '../crypto/signing-key.js'
import type { EventId, RoomId, UserId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { buildEvent } from './event-builder.js'
import { hashAndSignEvent } from './event-signing.js'
import { checkReceivedPdu, requiredSigners, type ServerKeyLookup } from './received-pdu.js'

function rules(version: string): RoomVersionRules {
  const found = roomVersionRules(version)
  if (found === undefined) throw new Error(`no room version ${version}`)
  return found
}

const remote = generateSigningKey(crypto, 'remote1')
const other = generateSigningKey(crypto, 'other1')
const ROOM = '!room:remote.example' as RoomId
const PREV = `$${'A'.repeat(43)}` as EventId

/** A message from @bob:remote.example, built and signed by remote.example. */
function message(
  version: string,
  content: JsonObject = { msgtype: 'm.text', body: 'hi' },
): JsonObject {
  const built = buildEvent(
    {
      roomVersion: rules(version),
      roomId: ROOM,
      sender: '@bob:remote.example' as UserId,
      type: 'm.room.message',
      content,
      prevEvents: [
        {
          eventId: version === '1' || version === '2' ? ('$prev:remote.example' as EventId) : PREV,
          referenceHash: 'A'.repeat(43),
          depth: 1,
        },
      ],
      authEvents: [],
      originServerTs: 1_700_000_000_000,
    },
    'remote.example',
    remote,
    crypto,
  )
  if (!built.ok) throw new Error(built.error.error)
  return built.value.json
}

/** Knows the given servers' keys; records what it was asked. */
function lookup(known: Record<string, SigningKey>): ServerKeyLookup & { asked: unknown[][] } {
  const asked: unknown[][] = []
  const fn = (server: string, keyIds: readonly string[], eventTs: number | undefined) => {
    asked.push([server, [...keyIds], eventTs])
    const key = known[server]
    const out = new Map<string, Uint8Array>()
    if (key !== undefined && keyIds.includes(key.keyId)) out.set(key.keyId, key.publicKey)
    return Promise.resolve(out)
  }
  return Object.assign(fn, { asked })
}

describe('checkReceivedPdu', () => {
  it('accepts an event signed by its sender’s server, asking for keys valid at its timestamp', async () => {
    const keys = lookup({ 'remote.example': remote })
    const checked = await checkReceivedPdu(message('10'), rules('10'), crypto, keys)
    expect(checked.ok && checked.value.redacted).toBe(false)
    expect(checked.ok && checked.value.pdu.content['body']).toBe('hi')
    expect(keys.asked).toEqual([['remote.example', [remote.keyId], 1_700_000_000_000]])
  })

  it('does not check key validity in rooms before v5', async () => {
    const keys = lookup({ 'remote.example': remote })
    const checked = await checkReceivedPdu(message('4'), rules('4'), crypto, keys)
    expect(checked.ok).toBe(true)
    expect(keys.asked[0]?.[2]).toBeUndefined()
  })

  it('refuses a signature that does not verify, or one by no key it knows', async () => {
    const forged = await checkReceivedPdu(
      message('10'),
      rules('10'),
      crypto,
      lookup({ 'remote.example': { ...other, keyId: remote.keyId } }),
    )
    expect(!forged.ok && forged.error.errcode).toBe('M_INVALID_SIGNATURE')
    const unknown = await checkReceivedPdu(message('10'), rules('10'), crypto, lookup({}))
    expect(!unknown.ok && unknown.error.error).toMatch(/no signature of remote.example by a key/)
  })

  it('refuses an event its sender’s server did not sign', async () => {
    const json = message('10')
    const resigned = hashAndSignEvent(
      { ...json, signatures: {} },
      rules('10'),
      'other.example',
      other,
      crypto,
    )
    const checked = await checkReceivedPdu(
      resigned,
      rules('10'),
      crypto,
      lookup({ 'other.example': other, 'remote.example': remote }),
    )
    expect(!checked.ok && checked.error.error).toMatch(/no signature from remote.example/)
  })

  it('uses the redacted copy when the content hash does not match', async () => {
    const json = message('10')
    const tampered = { ...json, content: { msgtype: 'm.text', body: 'changed on the way' } }
    const checked = await checkReceivedPdu(
      tampered,
      rules('10'),
      crypto,
      lookup({ 'remote.example': remote }),
    )
    if (!checked.ok) throw new Error(checked.error.error)
    expect(checked.value.redacted).toBe(true)
    expect(checked.value.pdu.content).toEqual({})
    // The event ID is the same: it covers the redacted form.
    const original = await checkReceivedPdu(
      json,
      rules('10'),
      crypto,
      lookup({ 'remote.example': remote }),
    )
    expect(original.ok && original.value.pdu.eventId).toBe(checked.value.pdu.eventId)
  })

  it('passes format errors through', async () => {
    const checked = await checkReceivedPdu('not an event', rules('10'), crypto, lookup({}))
    expect(!checked.ok && checked.error.errcode).toBe('M_BAD_JSON')
  })

  it('requires the event ID’s server in v1-v2, and the authorising server of a restricted join', () => {
    const v1 = message('1')
    const parsedV1 = { ...v1 }
    expect(
      requiredSigners(
        {
          eventId: '$abc:origin.example' as EventId,
          roomId: ROOM,
          sender: '@bob:remote.example' as UserId,
          type: 'm.room.message',
          content: {},
          originServerTs: 1,
          depth: 1,
          prevEvents: [],
          authEvents: [],
          json: parsedV1,
        },
        rules('1'),
      ),
    ).toEqual(['remote.example', 'origin.example'])
    const join = {
      eventId: '$abc' as EventId,
      roomId: ROOM,
      sender: '@bob:remote.example' as UserId,
      type: 'm.room.member',
      stateKey: '@bob:remote.example',
      content: { membership: 'join', join_authorised_via_users_server: '@admin:resident.example' },
      originServerTs: 1,
      depth: 1,
      prevEvents: [],
      authEvents: [],
      json: {},
    }
    expect(requiredSigners(join, rules('10'))).toEqual(['remote.example', 'resident.example'])
    expect(requiredSigners(join, rules('7'))).toEqual(['remote.example'])
  })
})
