import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import type { SigningKey } from '../crypto/signing-key.js'
import { encodeBase64 } from '../encoding/base64.js'
import type { Result } from '../errors/result.js'
import type { EventId, RoomId, UserId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { specSigningKey } from '../testing/spec-vectors.js'
import { buildEvent, type BuildEventInput, type EventReference } from './event-builder.js'
import { verifyEventSignature } from './event-signing.js'
import { checkContentHash, computeReferenceHash } from './hashes.js'
import { parseUntrustedPdu } from './parse-pdu.js'
import type { Pdu } from './pdu.js'
import { MAX_DEPTH_STRICT } from './pdu-limits.js'

const crypto = nodeCryptoProvider
const SERVER = 'example.org'
const ALICE = '@alice:example.org' as UserId
const ROOM = '!room:example.org' as RoomId

function rulesOf(id: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(id)
  if (rules === undefined) throw new Error(`no room version ${id}`)
  return rules
}

// The key of the spec's test vectors (appendices §Cryptographic Test Vectors).
const KEY: SigningKey = specSigningKey(crypto)

/** A well-formed v4+ event ID: 42 copies of `c` and a last character with no stray bits. */
function fakeId(c: string): EventId {
  return `$${c.repeat(42)}A` as EventId
}

function expectOk<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.errcode}: ${result.error.error}`)
  return result.value
}

function build(input: BuildEventInput): Result<Pdu> {
  return buildEvent(input, SERVER, KEY, crypto)
}

/** A reference to a built event, with its hash for the versions that quote it. */
function refTo(pdu: Pdu, rules: RoomVersionRules): EventReference & { depth: number } {
  return {
    eventId: pdu.eventId,
    depth: pdu.depth,
    referenceHash: encodeBase64(computeReferenceHash(pdu.json, rules, crypto)),
  }
}

/** A small room: create, the creator's join, then a message. */
function buildRoom(rules: RoomVersionRules): { create: Pdu; join: Pdu; message: Pdu } {
  const hashRoomId = rules.eventFormat.roomIdIsCreateEventHash
  const create = expectOk(
    build({
      roomVersion: rules,
      ...(hashRoomId ? {} : { roomId: ROOM }),
      sender: ALICE,
      type: 'm.room.create',
      stateKey: '',
      content: rules.auth.createEventHasCreator
        ? { creator: ALICE, room_version: rules.id }
        : { room_version: rules.id },
      prevEvents: [],
      authEvents: [],
      originServerTs: 1_000,
    }),
  )
  const createRef = refTo(create, rules)
  const join = expectOk(
    build({
      roomVersion: rules,
      roomId: create.roomId,
      sender: ALICE,
      type: 'm.room.member',
      stateKey: ALICE,
      content: { membership: 'join' },
      prevEvents: [createRef],
      authEvents: hashRoomId ? [] : [createRef],
      originServerTs: 2_000,
    }),
  )
  const joinRef = refTo(join, rules)
  const message = expectOk(
    build({
      roomVersion: rules,
      roomId: create.roomId,
      sender: ALICE,
      type: 'm.room.message',
      content: { body: 'hello', msgtype: 'm.text' },
      prevEvents: [joinRef],
      authEvents: hashRoomId ? [joinRef] : [createRef, joinRef],
      originServerTs: 3_000,
    }),
  )
  return { create, join, message }
}

describe('buildEvent round trip: build, send, parse', () => {
  it.each(['1', '3', '4', '6', '10', '11', '12'])('v%s', (v) => {
    const rules = rulesOf(v)
    const room = buildRoom(rules)
    for (const pdu of [room.create, room.join, room.message]) {
      const wire: unknown = JSON.parse(JSON.stringify(pdu.json))
      const parsed = expectOk(parseUntrustedPdu(wire, rules, crypto))
      expect(parsed).toEqual(pdu)
      expect(parsed.eventId).toBe(pdu.eventId)
      // Hashed and signed as the spec says: the receiving checks pass.
      expect(checkContentHash(pdu.json, crypto)).toBe(true)
      expect(
        verifyEventSignature(pdu.json, rules, SERVER, KEY.keyId, KEY.publicKey, crypto).ok,
      ).toBe(true)
    }
    expect(room.create.depth).toBe(1)
    expect(room.join.depth).toBe(2)
    expect(room.message.depth).toBe(3)
    expect(room.join.prevEvents).toEqual([room.create.eventId])
    expect(room.message.stateKey).toBeUndefined()
    expect(room.join.stateKey).toBe(ALICE)
  })

  it('v1: origin-assigned event IDs on our server, references as [id, {sha256}] pairs', () => {
    const rules = rulesOf('1')
    const { create, join } = buildRoom(rules)
    expect(create.eventId).toMatch(/^\$[A-Za-z0-9_-]{24}:example\.org$/)
    expect(create.json['event_id']).toBe(create.eventId)
    expect(join.json['prev_events']).toEqual([
      [create.eventId, { sha256: encodeBase64(computeReferenceHash(create.json, rules, crypto)) }],
    ])
  })

  it('v3: event IDs in standard base64; v4+: URL-safe', () => {
    for (const [v, pattern] of [
      ['3', /^\$[A-Za-z0-9+/]{43}$/],
      ['4', /^\$[A-Za-z0-9_-]{43}$/],
      ['11', /^\$[A-Za-z0-9_-]{43}$/],
    ] as const) {
      const rules = rulesOf(v)
      const { message } = buildRoom(rules)
      expect(message.eventId).toMatch(pattern)
      expect(message.json).not.toHaveProperty('event_id')
      expect(message.json['prev_events']).toEqual(message.prevEvents)
    }
  })

  it('v12: the create event has no room_id and the room ID is its hash', () => {
    const rules = rulesOf('12')
    const { create, message } = buildRoom(rules)
    expect(create.json).not.toHaveProperty('room_id')
    expect(create.roomId).toBe(`!${create.eventId.slice(1)}`)
    expect(message.roomId).toBe(create.roomId)
    expect(message.json['room_id']).toBe(create.roomId)
  })
})

describe('buildEvent inputs', () => {
  const rules11 = rulesOf('11')
  const base: BuildEventInput = {
    roomVersion: rules11,
    roomId: ROOM,
    sender: ALICE,
    type: 'm.room.message',
    content: { body: 'x' },
    prevEvents: [{ eventId: fakeId('A'), depth: 41 }],
    authEvents: [fakeId('B')],
    originServerTs: 5,
  }

  it('sets depth to one more than the deepest prev event', () => {
    const pdu = expectOk(
      build({
        ...base,
        prevEvents: [
          { eventId: fakeId('A'), depth: 7 },
          { eventId: fakeId('C'), depth: 41 },
          { eventId: fakeId('D'), depth: 3 },
        ],
      }),
    )
    expect(pdu.depth).toBe(42)
    expect(pdu.json['depth']).toBe(42)
  })

  it('holds depth at the limit', () => {
    const atLimit = { eventId: fakeId('A'), depth: MAX_DEPTH_STRICT }
    expect(expectOk(build({ ...base, prevEvents: [atLimit] })).depth).toBe(MAX_DEPTH_STRICT)
  })

  it('writes the fields it is given and nothing else', () => {
    const pdu = expectOk(build({ ...base, origin: SERVER }))
    expect(Object.keys(pdu.json).sort()).toEqual([
      'auth_events',
      'content',
      'depth',
      'hashes',
      'origin',
      'origin_server_ts',
      'prev_events',
      'room_id',
      'sender',
      'signatures',
      'type',
    ])
    expect(pdu.json['origin']).toBe(SERVER)
    expect(pdu.json).not.toHaveProperty('unsigned')
  })

  it('does not change the content it is given', () => {
    const content = { body: 'x' }
    const target = fakeId('E')
    expectOk(build({ ...base, type: 'm.room.redaction', content, redacts: target }))
    expect(content).toEqual({ body: 'x' })
  })

  it('puts redacts at the top level before v11 and in content from v11', () => {
    const target = fakeId('E')
    const v10 = expectOk(
      build({
        ...base,
        roomVersion: rulesOf('10'),
        type: 'm.room.redaction',
        content: {},
        redacts: target,
      }),
    )
    expect(v10.json['redacts']).toBe(target)
    expect(v10.content).toEqual({})
    expect(v10.redacts).toBe(target)
    const v11 = expectOk(
      build({ ...base, type: 'm.room.redaction', content: { reason: 'r' }, redacts: target }),
    )
    expect(v11.json).not.toHaveProperty('redacts')
    expect(v11.content).toEqual({ reason: 'r', redacts: target })
    expect(v11.redacts).toBe(target)
  })

  it('uses the given v1 event ID localpart, or a fresh random one', () => {
    const rules = rulesOf('2')
    const input: BuildEventInput = {
      ...base,
      roomVersion: rules,
      prevEvents: [],
      authEvents: [],
    }
    expect(expectOk(build({ ...input, eventIdLocalpart: 'fixed' })).eventId).toBe(
      '$fixed:example.org',
    )
    const a = expectOk(build(input)).eventId
    const b = expectOk(build(input)).eventId
    expect(a).not.toBe(b)
  })

  it('refuses a v1 event ID localpart that does not make a valid ID', () => {
    const rules = rulesOf('1')
    const result = build({
      ...base,
      roomVersion: rules,
      prevEvents: [],
      authEvents: [],
      eventIdLocalpart: 'a\u0000b',
    })
    expect(result.ok).toBe(false)
  })

  it('needs reference hashes in v1-v2', () => {
    const rules = rulesOf('1')
    const id = '$a:example.org' as EventId
    const noPrevHash = build({
      ...base,
      roomVersion: rules,
      prevEvents: [{ eventId: id, depth: 1 }],
      authEvents: [],
    })
    expect(noPrevHash.ok).toBe(false)
    if (!noPrevHash.ok) expect(noPrevHash.error.error).toContain('prev_events')
    const noAuthHash = build({ ...base, roomVersion: rules, prevEvents: [], authEvents: [id] })
    expect(noAuthHash.ok).toBe(false)
    if (!noAuthHash.ok) expect(noAuthHash.error.error).toContain('auth_events')
    const withHashes = build({
      ...base,
      roomVersion: rules,
      prevEvents: [{ eventId: id, depth: 1, referenceHash: 'aGFzaA' }],
      authEvents: [{ eventId: id, referenceHash: 'aGFzaA' }],
    })
    expect(expectOk(withHashes).json['auth_events']).toEqual([[id, { sha256: 'aGFzaA' }]])
  })

  it('needs a room ID, except for a v12 create event, which must not have one', () => {
    const { roomId: _omit, ...noRoom } = base
    const missing = build(noRoom)
    expect(missing.ok).toBe(false)
    if (!missing.ok) expect(missing.error.errcode).toBe('M_INVALID_PARAM')
    const create = build({
      ...base,
      roomVersion: rulesOf('12'),
      type: 'm.room.create',
      stateKey: '',
      prevEvents: [],
      authEvents: [],
    })
    expect(create.ok).toBe(false)
    if (!create.ok) expect(create.error.error).toContain('room_id')
    // A v11 create event still carries one.
    expect(build({ ...noRoom, type: 'm.room.create', stateKey: '' }).ok).toBe(false)
  })

  it('refuses what other servers would drop: over-size, over-long, too many references', () => {
    const huge = build({ ...base, content: { body: 'x'.repeat(70_000) } })
    expect(huge.ok).toBe(false)
    if (!huge.ok) expect(huge.error.errcode).toBe('M_TOO_LARGE')

    const longType = build({ ...base, type: 'é'.repeat(128) })
    expect(longType.ok).toBe(false)
    if (!longType.ok) expect(longType.error.errcode).toBe('M_TOO_LARGE')

    const prevEvents = Array.from({ length: 21 }, (_, i) => ({
      eventId: `$${'A'.repeat(42)}${'AEIMQUYcgkosw048'[i % 16]}` as EventId,
      depth: i,
    }))
    const tooMany = build({ ...base, prevEvents })
    expect(tooMany.ok).toBe(false)
    if (!tooMany.ok) expect(tooMany.error.errcode).toBe('M_TOO_LARGE')

    const float = build({ ...base, content: { x: 0.5 } })
    expect(float.ok).toBe(false)
    if (!float.ok) expect(float.error.errcode).toBe('M_BAD_JSON')
  })

  it('keeps the content of the view identical to the JSON', () => {
    const content: JsonObject = { body: 'x', nested: { a: [1, 2] } }
    const pdu = expectOk(build({ ...base, content }))
    expect(pdu.content).toEqual(content)
    expect(pdu.content).toBe(pdu.json['content'])
  })
})
