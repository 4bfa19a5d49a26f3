import { nodeCryptoProvider } from '@rhizome/crypto-node'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeBase64, encodeBase64Url } from '../encoding/base64.js'
import { utf8ByteLength } from '../encoding/utf8.js'
import type { ErrCode } from '../errors/matrix-error.js'
import type { Result } from '../errors/result.js'
import type { EventId } from '../ids/types.js'
import { canonicalJson } from '../json/canonical-json.js'
import type { JsonObject, JsonValue } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { computeEventId } from './hashes.js'
import { loadTrustedPdu, parseUntrustedPdu } from './parse-pdu.js'
import type { Pdu } from './pdu.js'

const crypto = nodeCryptoProvider
const VERSION_IDS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const

function rulesOf(id: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(id)
  if (rules === undefined) throw new Error(`no room version ${id}`)
  return rules
}

/** A distinct, well-formed event ID of the version's format. */
function idFor(rules: RoomVersionRules, n: number): string {
  const bytes = new Uint8Array(32).fill(n)
  switch (rules.eventFormat.eventIdFormat) {
    case 'origin-assigned':
      return `$event${n}:example.org`
    case 'reference-hash-standard':
      return `$${encodeBase64(bytes)}`
    case 'reference-hash-url-safe':
      return `$${encodeBase64Url(bytes)}`
  }
}

function refFor(rules: RoomVersionRules, n: number): JsonValue {
  const id = idFor(rules, n)
  return rules.eventFormat.eventReferencesIncludeHashes ? [id, { sha256: `hash${n}` }] : id
}

type MutableEvent = Record<string, JsonValue>

/** A valid message event of the version, as a remote server would send it. */
function validEvent(rules: RoomVersionRules): MutableEvent {
  const event: MutableEvent = {
    type: 'm.room.message',
    sender: '@alice:example.org',
    room_id: rules.eventFormat.roomIdIsCreateEventHash
      ? `!${encodeBase64Url(new Uint8Array(32).fill(200))}`
      : '!room:example.org',
    content: { body: 'hello', msgtype: 'm.text' },
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    prev_events: [refFor(rules, 1)],
    auth_events: [refFor(rules, 2), refFor(rules, 3)],
    hashes: { sha256: 'aGFzaA' },
    signatures: { 'example.org': { 'ed25519:1': 'c2ln' } },
    unsigned: { age: 4 },
  }
  if (rules.eventFormat.eventIdFormat === 'origin-assigned') event['event_id'] = '$abc:example.org'
  return event
}

function parse(json: unknown, rules: RoomVersionRules): Result<Pdu> {
  return parseUntrustedPdu(json, rules, crypto)
}

function expectOk(result: Result<Pdu>): Pdu {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.errcode}: ${result.error.error}`)
  return result.value
}

function expectErr(result: Result<Pdu>, errcode: ErrCode, mentions?: string): void {
  expect(result.ok).toBe(false)
  if (result.ok) return
  expect(result.error.errcode).toBe(errcode)
  if (mentions !== undefined) expect(result.error.error).toContain(mentions)
}

function with_(
  rules: RoomVersionRules,
  changes: MutableEvent,
  remove: string[] = [],
): MutableEvent {
  const event = { ...validEvent(rules), ...changes }
  for (const key of remove) delete event[key]
  return event
}

describe('parseUntrustedPdu: a valid event in every version', () => {
  it.each(VERSION_IDS)('v%s gives the view of the event', (v) => {
    const rules = rulesOf(v)
    const json = validEvent(rules)
    const pdu = expectOk(parse(json, rules))
    expect(pdu.type).toBe('m.room.message')
    expect(pdu.sender).toBe('@alice:example.org')
    expect(pdu.roomId).toBe(json['room_id'])
    expect(pdu.content).toBe(json['content'])
    expect(pdu.originServerTs).toBe(1_700_000_000_000)
    expect(pdu.depth).toBe(5)
    expect(pdu.prevEvents).toEqual([idFor(rules, 1)])
    expect(pdu.authEvents).toEqual([idFor(rules, 2), idFor(rules, 3)])
    expect(pdu.json).toBe(json)
    expect(pdu).not.toHaveProperty('stateKey')
    expect(pdu).not.toHaveProperty('redacts')
    if (rules.eventFormat.eventIdFormat === 'origin-assigned') {
      expect(pdu.eventId).toBe('$abc:example.org')
    } else {
      const expected = computeEventId(json, rules, crypto)
      expect(expected.ok && expected.value).toBe(pdu.eventId)
      expect(pdu.eventId.length).toBe(44)
    }
  })

  it('reads state_key, including the empty one', () => {
    const rules = rulesOf('10')
    expect(expectOk(parse(with_(rules, { state_key: '' }), rules)).stateKey).toBe('')
    expect(expectOk(parse(with_(rules, { state_key: '@bob:x' }), rules)).stateKey).toBe('@bob:x')
  })

  it('accepts a PDU without unsigned, and empty prev and auth events', () => {
    const rules = rulesOf('11')
    const pdu = expectOk(
      parse(with_(rules, { prev_events: [], auth_events: [] }, ['unsigned']), rules),
    )
    expect(pdu.prevEvents).toEqual([])
    expect(pdu.authEvents).toEqual([])
  })

  it('accepts unknown top-level keys (they are covered by the hashes)', () => {
    const rules = rulesOf('11')
    expectOk(parse(with_(rules, { origin: 'example.org', something_new: { a: 1 } }), rules))
  })

  it('accepts historical user IDs as sender', () => {
    const rules = rulesOf('11')
    expectOk(parse(with_(rules, { sender: '@Alice[old]:example.org' }), rules))
  })

  it('gives different event IDs for different events and the same for the same', () => {
    const rules = rulesOf('11')
    const a = expectOk(parse(validEvent(rules), rules))
    const b = expectOk(parse(validEvent(rules), rules))
    const c = expectOk(parse(with_(rules, { depth: 6 }), rules))
    expect(a.eventId).toBe(b.eventId)
    expect(a.eventId).not.toBe(c.eventId)
  })

  it('does not count signatures or unsigned in the event ID', () => {
    const rules = rulesOf('11')
    const a = expectOk(parse(validEvent(rules), rules))
    const b = expectOk(parse(with_(rules, { unsigned: { age: 99 }, signatures: {} }), rules))
    expect(b.eventId).toBe(a.eventId)
  })
})

describe('parseUntrustedPdu: not an object', () => {
  it.each([null, 1, 'pdu', true, [], [{}], undefined])('refuses %j', (value) => {
    expectErr(parse(value, rulesOf('11')), 'M_BAD_JSON', 'JSON object')
  })
})

interface FieldCase {
  readonly name: string
  readonly changes?: MutableEvent
  readonly remove?: string[]
  readonly errcode: ErrCode
  readonly mentions: string
}

const COMMON_FIELD_CASES: readonly FieldCase[] = [
  { name: 'type missing', remove: ['type'], errcode: 'M_BAD_JSON', mentions: 'type is missing' },
  { name: 'type a number', changes: { type: 5 }, errcode: 'M_BAD_JSON', mentions: 'type must be' },
  {
    name: 'state_key a number',
    changes: { state_key: 1 },
    errcode: 'M_BAD_JSON',
    mentions: 'state_key',
  },
  {
    name: 'state_key null',
    changes: { state_key: null },
    errcode: 'M_BAD_JSON',
    mentions: 'state_key',
  },
  {
    name: 'sender missing',
    remove: ['sender'],
    errcode: 'M_BAD_JSON',
    mentions: 'sender is missing',
  },
  {
    name: 'sender an array',
    changes: { sender: ['@a:b'] },
    errcode: 'M_BAD_JSON',
    mentions: 'sender',
  },
  {
    name: 'sender no sigil',
    changes: { sender: 'alice:example.org' },
    errcode: 'M_INVALID_PARAM',
    mentions: 'sender',
  },
  {
    name: 'sender no server',
    changes: { sender: '@alice' },
    errcode: 'M_INVALID_PARAM',
    mentions: 'sender',
  },
  {
    name: 'sender bad server',
    changes: { sender: '@alice:exa mple' },
    errcode: 'M_INVALID_PARAM',
    mentions: 'sender',
  },
  { name: 'room_id a number', changes: { room_id: 7 }, errcode: 'M_BAD_JSON', mentions: 'room_id' },
  {
    name: 'room_id not a room ID',
    changes: { room_id: '#alias:example.org' },
    errcode: 'M_INVALID_PARAM',
    mentions: 'room_id',
  },
  {
    name: 'content missing',
    remove: ['content'],
    errcode: 'M_BAD_JSON',
    mentions: 'content is missing',
  },
  {
    name: 'content a string',
    changes: { content: 'hi' },
    errcode: 'M_BAD_JSON',
    mentions: 'content must be an object',
  },
  {
    name: 'content an array',
    changes: { content: [] },
    errcode: 'M_BAD_JSON',
    mentions: 'content',
  },
  { name: 'content null', changes: { content: null }, errcode: 'M_BAD_JSON', mentions: 'content' },
  {
    name: 'origin_server_ts missing',
    remove: ['origin_server_ts'],
    errcode: 'M_BAD_JSON',
    mentions: 'origin_server_ts',
  },
  {
    name: 'origin_server_ts a string',
    changes: { origin_server_ts: '1' },
    errcode: 'M_BAD_JSON',
    mentions: 'origin_server_ts',
  },
  {
    name: 'origin_server_ts a fraction',
    changes: { origin_server_ts: 1.5 },
    errcode: 'M_BAD_JSON',
    mentions: 'origin_server_ts',
  },
  { name: 'depth missing', remove: ['depth'], errcode: 'M_BAD_JSON', mentions: 'depth is missing' },
  {
    name: 'depth a string',
    changes: { depth: '5' },
    errcode: 'M_BAD_JSON',
    mentions: 'depth must be an integer',
  },
  { name: 'depth a fraction', changes: { depth: 2.5 }, errcode: 'M_BAD_JSON', mentions: 'depth' },
  { name: 'depth negative', changes: { depth: -1 }, errcode: 'M_INVALID_PARAM', mentions: 'depth' },
  {
    name: 'prev_events missing',
    remove: ['prev_events'],
    errcode: 'M_BAD_JSON',
    mentions: 'prev_events is missing',
  },
  {
    name: 'prev_events an object',
    changes: { prev_events: {} },
    errcode: 'M_BAD_JSON',
    mentions: 'prev_events must be an array',
  },
  {
    name: 'auth_events missing',
    remove: ['auth_events'],
    errcode: 'M_BAD_JSON',
    mentions: 'auth_events is missing',
  },
  {
    name: 'auth_events a string',
    changes: { auth_events: '$x' },
    errcode: 'M_BAD_JSON',
    mentions: 'auth_events',
  },
  {
    name: 'hashes missing',
    remove: ['hashes'],
    errcode: 'M_BAD_JSON',
    mentions: 'hashes is missing',
  },
  {
    name: 'hashes an array',
    changes: { hashes: ['x'] },
    errcode: 'M_BAD_JSON',
    mentions: 'hashes must be an object',
  },
  {
    name: 'hashes without sha256',
    changes: { hashes: {} },
    errcode: 'M_BAD_JSON',
    mentions: 'hashes.sha256 is missing',
  },
  {
    name: 'hashes.sha256 a number',
    changes: { hashes: { sha256: 1 } },
    errcode: 'M_BAD_JSON',
    mentions: 'hashes.sha256 must be',
  },
  {
    name: 'signatures missing',
    remove: ['signatures'],
    errcode: 'M_BAD_JSON',
    mentions: 'signatures is missing',
  },
  {
    name: 'signatures a string',
    changes: { signatures: 'sig' },
    errcode: 'M_BAD_JSON',
    mentions: 'signatures must be an object',
  },
  {
    name: 'server signatures a string',
    changes: { signatures: { 'a.org': 'sig' } },
    errcode: 'M_BAD_JSON',
    mentions: '"a.org"',
  },
  {
    name: 'signature a number',
    changes: { signatures: { 'a.org': { 'ed25519:1': 1 } } },
    errcode: 'M_BAD_JSON',
    mentions: '"ed25519:1"',
  },
  {
    name: 'unsigned a string',
    changes: { unsigned: 'x' },
    errcode: 'M_BAD_JSON',
    mentions: 'unsigned must be an object',
  },
  {
    name: 'unsigned null',
    changes: { unsigned: null },
    errcode: 'M_BAD_JSON',
    mentions: 'unsigned',
  },
]

describe('parseUntrustedPdu: field types and presence', () => {
  for (const v of VERSION_IDS) {
    const rules = rulesOf(v)
    it.each(COMMON_FIELD_CASES)(`v${v}: $name`, ({ changes, remove, errcode, mentions }) => {
      expectErr(parse(with_(rules, changes ?? {}, remove), rules), errcode, mentions)
    })
  }

  it('accepts empty signatures and extra hash algorithms', () => {
    const rules = rulesOf('9')
    expectOk(parse(with_(rules, { signatures: {}, hashes: { sha256: 'x', sha512: 'y' } }), rules))
    expectOk(parse(with_(rules, { signatures: { 'a.org': {} } }), rules))
  })

  it('ignores inherited properties: a prototype cannot supply a required field', () => {
    const rules = rulesOf('11')
    const event = Object.assign(
      Object.create({ type: 'm.room.message' }) as MutableEvent,
      validEvent(rules),
    )
    delete event['type']
    expectErr(parse(event, rules), 'M_BAD_JSON', 'type is missing')
  })
})

describe('parseUntrustedPdu: room_id', () => {
  it.each(VERSION_IDS)('v%s: required on an ordinary event', (v) => {
    const rules = rulesOf(v)
    expectErr(parse(with_(rules, {}, ['room_id']), rules), 'M_BAD_JSON', 'room_id is missing')
  })

  it.each(versionsFrom(1, 11))('v%s: required on a create event', (v) => {
    const rules = rulesOf(v)
    const create = with_(rules, { type: 'm.room.create', state_key: '', prev_events: [] }, [
      'room_id',
    ])
    expectErr(parse(create, rules), 'M_BAD_JSON', 'room_id is missing')
  })

  it('v12: a create event without room_id gets the room ID of its hash', () => {
    const rules = rulesOf('12')
    const create = with_(
      rules,
      {
        type: 'm.room.create',
        state_key: '',
        prev_events: [],
        auth_events: [],
        depth: 1,
        content: { room_version: '12' },
      },
      ['room_id'],
    )
    const pdu = expectOk(parse(create, rules))
    expect(pdu.roomId).toBe(`!${pdu.eventId.slice(1)}`)
    expect(pdu.json).not.toHaveProperty('room_id')
  })

  it('v12: a create event with a room_id is refused', () => {
    const rules = rulesOf('12')
    const create = with_(rules, { type: 'm.room.create', state_key: '', prev_events: [] })
    expectErr(parse(create, rules), 'M_BAD_JSON', 'room_id must be absent')
    expectErr(parse({ ...create, room_id: null }, rules), 'M_BAD_JSON', 'room_id must be absent')
  })

  it('v12: room IDs of both shapes parse (the auth rules check which room)', () => {
    const rules = rulesOf('12')
    expectOk(parse(with_(rules, { room_id: '!room:example.org' }), rules))
    expectErr(
      parse(with_(rules, { room_id: '!tooShortForAHash' }), rules),
      'M_INVALID_PARAM',
      'room_id',
    )
  })
})

describe('parseUntrustedPdu: event_id', () => {
  it.each(['1', '2'])('v%s: required and parsed', (v) => {
    const rules = rulesOf(v)
    expectErr(parse(with_(rules, {}, ['event_id']), rules), 'M_BAD_JSON', 'event_id is missing')
    expectErr(
      parse(with_(rules, { event_id: 5 }), rules),
      'M_BAD_JSON',
      'event_id must be a string',
    )
    expectErr(
      parse(with_(rules, { event_id: 'abc:example.org' }), rules),
      'M_INVALID_PARAM',
      'event_id',
    )
    expectErr(parse(with_(rules, { event_id: '$abc' }), rules), 'M_INVALID_PARAM', 'event_id')
    // A hash-shaped ID is not the format of these versions.
    expectErr(
      parse(with_(rules, { event_id: idFor(rulesOf('4'), 1) }), rules),
      'M_INVALID_PARAM',
      'event_id',
    )
  })

  it.each(versionsFrom(3))('v%s: must be absent', (v) => {
    const rules = rulesOf(v)
    const pdu = expectOk(parse(validEvent(rules), rules))
    expectErr(
      parse(with_(rules, { event_id: pdu.eventId }), rules),
      'M_BAD_JSON',
      'event_id must be absent',
    )
  })
})

describe('parseUntrustedPdu: 255-byte limits', () => {
  // 'é' is 2 bytes and '😀' 4 in UTF-8 (2 UTF-16 units): lengths in code units would be wrong.
  const E = 'é'
  const GRIN = '😀'

  it('type: 255 bytes pass, 256 do not', () => {
    const rules = rulesOf('11')
    const at = E.repeat(127) + 'a'
    expect(utf8ByteLength(at)).toBe(255)
    expectOk(parse(with_(rules, { type: at }), rules))
    expectErr(parse(with_(rules, { type: E.repeat(128) }), rules), 'M_TOO_LARGE', 'type')
    expectOk(parse(with_(rules, { type: 'abc' + GRIN.repeat(63) }), rules))
    expectErr(parse(with_(rules, { type: 'abcd' + GRIN.repeat(63) }), rules), 'M_TOO_LARGE', 'type')
  })

  it('state_key: 255 bytes pass, 256 do not', () => {
    const rules = rulesOf('5')
    expectOk(parse(with_(rules, { state_key: E.repeat(127) + 'a' }), rules))
    expectErr(parse(with_(rules, { state_key: E.repeat(128) }), rules), 'M_TOO_LARGE', 'state_key')
    expectOk(parse(with_(rules, { state_key: 'x'.repeat(255) }), rules))
    expectErr(
      parse(with_(rules, { state_key: 'x'.repeat(256) }), rules),
      'M_TOO_LARGE',
      'state_key',
    )
  })

  it('sender: 255 bytes pass, 256 do not', () => {
    const rules = rulesOf('11')
    const server = ':example.org'
    const at = '@' + E.repeat(121) + server
    expect(utf8ByteLength(at)).toBe(255)
    expectOk(parse(with_(rules, { sender: at }), rules))
    const over = '@a' + E.repeat(121) + server
    expect(utf8ByteLength(over)).toBe(256)
    expectErr(parse(with_(rules, { sender: over }), rules), 'M_TOO_LARGE', 'sender')
  })

  it('room_id: 255 bytes pass, 256 do not', () => {
    const rules = rulesOf('10')
    const server = ':example.org'
    const at =
      '!' + E.repeat((254 - server.length) / 2) + 'a'.repeat((254 - server.length) % 2) + server
    expect(utf8ByteLength(at)).toBe(255)
    expectOk(parse(with_(rules, { room_id: at }), rules))
    expectErr(
      parse(with_(rules, { room_id: at.replace('!', '!a') }), rules),
      'M_TOO_LARGE',
      'room_id',
    )
  })

  it('event_id (v1): 255 bytes pass, 256 do not', () => {
    const rules = rulesOf('1')
    const server = ':example.org'
    const at =
      '$' + E.repeat((254 - server.length) / 2) + 'a'.repeat((254 - server.length) % 2) + server
    expect(utf8ByteLength(at)).toBe(255)
    expect(expectOk(parse(with_(rules, { event_id: at }), rules)).eventId).toBe(at)
    expectErr(
      parse(with_(rules, { event_id: at.replace('$', '$a') }), rules),
      'M_TOO_LARGE',
      'event_id',
    )
  })

  it('references: an over-long ID is refused', () => {
    const rules = rulesOf('1')
    const long = '$' + 'a'.repeat(250) + ':example.org'
    expectErr(
      parse(with_(rules, { prev_events: [[long, { sha256: 'h' }]] }), rules),
      'M_TOO_LARGE',
      'prev_events[0]',
    )
  })
})

describe('parseUntrustedPdu: prev_events and auth_events', () => {
  const many = (rules: RoomVersionRules, count: number) =>
    Array.from({ length: count }, (_, i) => refFor(rules, i + 10))

  it.each(VERSION_IDS)('v%s: 20 prev events pass, 21 do not', (v) => {
    const rules = rulesOf(v)
    expect(
      expectOk(parse(with_(rules, { prev_events: many(rules, 20) }), rules)).prevEvents,
    ).toHaveLength(20)
    expectErr(
      parse(with_(rules, { prev_events: many(rules, 21) }), rules),
      'M_TOO_LARGE',
      'prev_events',
    )
  })

  it.each(VERSION_IDS)('v%s: 10 auth events pass, 11 do not', (v) => {
    const rules = rulesOf(v)
    expect(
      expectOk(parse(with_(rules, { auth_events: many(rules, 10) }), rules)).authEvents,
    ).toHaveLength(10)
    expectErr(
      parse(with_(rules, { auth_events: many(rules, 11) }), rules),
      'M_TOO_LARGE',
      'auth_events',
    )
  })

  it.each(['1', '2'])('v%s: references are [id, {sha256}] pairs', (v) => {
    const rules = rulesOf(v)
    const bad: [JsonValue, string][] = [
      ['$a:example.org', 'pair'],
      [['$a:example.org'], 'pair'],
      [['$a:example.org', { sha256: 'h' }, 3], 'pair'],
      [['$a:example.org', 'h'], 'sha256'],
      [['$a:example.org', {}], 'sha256'],
      [['$a:example.org', { sha256: 5 }], 'sha256'],
      [[5, { sha256: 'h' }], 'event ID string'],
      [['a:example.org', { sha256: 'h' }], 'prev_events[1]'],
      [[idFor(rulesOf('4'), 1), { sha256: 'h' }], 'prev_events[1]'],
    ]
    for (const [ref, mentions] of bad) {
      const result = parse(with_(rules, { prev_events: [refFor(rules, 1), ref] }), rules)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toContain(mentions)
      expectErr(
        parse(with_(rules, { auth_events: [ref] }), rules),
        result.ok ? 'M_UNKNOWN' : result.error.errcode,
        'auth_events[0]',
      )
    }
  })

  it.each(versionsFrom(3))('v%s: references are plain IDs of the version format', (v) => {
    const rules = rulesOf(v)
    for (const ref of [refFor(rulesOf('1'), 1), 5, null, '$a:example.org', '$short']) {
      const result = parse(with_(rules, { prev_events: [ref] }), rules)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toContain('prev_events[0]')
    }
  })

  it('v3 uses standard base64 IDs, v4 URL-safe ones', () => {
    // '+' and '/' are only in the standard alphabet, '-' and '_' only in the URL-safe one.
    const standard = '$' + '+'.repeat(42) + 'A'
    const urlSafe = '$' + '-'.repeat(42) + 'A'
    expectOk(parse(with_(rulesOf('3'), { prev_events: [standard] }), rulesOf('3')))
    expectErr(
      parse(with_(rulesOf('3'), { prev_events: [urlSafe] }), rulesOf('3')),
      'M_INVALID_PARAM',
    )
    expectOk(parse(with_(rulesOf('4'), { prev_events: [urlSafe] }), rulesOf('4')))
    expectErr(
      parse(with_(rulesOf('4'), { prev_events: [standard] }), rulesOf('4')),
      'M_INVALID_PARAM',
    )
  })

  it('keeps the order and duplicates of references (duplicates are for the auth rules)', () => {
    const rules = rulesOf('11')
    const ids = [idFor(rules, 3), idFor(rules, 1), idFor(rules, 3)]
    expect(expectOk(parse(with_(rules, { auth_events: ids }), rules)).authEvents).toEqual(ids)
  })
})

describe('parseUntrustedPdu: depth', () => {
  it.each(versionsFrom(6))('v%s: up to 2^53 - 1', (v) => {
    const rules = rulesOf(v)
    expectOk(parse(with_(rules, { depth: Number.MAX_SAFE_INTEGER }), rules))
    expectOk(parse(with_(rules, { depth: 0 }), rules))
    expectErr(parse(with_(rules, { depth: 2 ** 53 }), rules), 'M_INVALID_PARAM', '2^53 - 1')
  })

  it.each(versionsFrom(1, 5))('v%s: up to 2^63 - 1', (v) => {
    const rules = rulesOf(v)
    expectOk(parse(with_(rules, { depth: 2 ** 53 }), rules))
    // JSON.parse gives 2^63 for 9223372036854775807: the largest value that can be told apart.
    expectOk(parse(with_(rules, { depth: JSON.parse('9223372036854775807') as number }), rules))
    expectErr(parse(with_(rules, { depth: 2 ** 64 }), rules), 'M_INVALID_PARAM', '2^63 - 1')
  })
})

describe('parseUntrustedPdu: canonical JSON', () => {
  it.each(versionsFrom(1, 5))('v%s accepts floats and large integers in content', (v) => {
    const rules = rulesOf(v)
    expectOk(parse(with_(rules, { content: { x: 1.5, large: 2 ** 60, neg: -(2 ** 60) } }), rules))
  })

  it.each(versionsFrom(6))('v%s refuses floats and integers beyond 2^53 - 1', (v) => {
    const rules = rulesOf(v)
    expectErr(parse(with_(rules, { content: { x: 1.5 } }), rules), 'M_BAD_JSON', 'canonical JSON')
    expectErr(
      parse(with_(rules, { content: { large: 2 ** 53 } }), rules),
      'M_BAD_JSON',
      'canonical JSON',
    )
    expectErr(
      parse(with_(rules, { unsigned: { age: 0.5 } }), rules),
      'M_BAD_JSON',
      'canonical JSON',
    )
    expectErr(
      parse(with_(rules, { origin_server_ts: 2 ** 60 }), rules),
      'M_BAD_JSON',
      'canonical JSON',
    )
    expectOk(parse(with_(rules, { content: { max: 2 ** 53 - 1, min: -(2 ** 53) + 1 } }), rules))
  })

  it('refuses lone surrogates in every version', () => {
    for (const v of ['1', '11']) {
      const rules = rulesOf(v)
      expectErr(
        parse(with_(rules, { content: { body: 'a\ud800b' } }), rules),
        'M_BAD_JSON',
        'surrogate',
      )
    }
  })

  it('refuses non-JSON values and absurd nesting without throwing', () => {
    const rules = rulesOf('11')
    let deep: JsonValue = 1
    for (let i = 0; i < 5000; i++) deep = [deep]
    expectErr(parse(with_(rules, { content: { deep } }), rules), 'M_BAD_JSON', 'nested')
    const nonJson = { ...validEvent(rules), content: { f: (() => 1) as unknown as JsonValue } }
    expectErr(parse(nonJson, rules), 'M_BAD_JSON')
    expectErr(parse(with_(rules, { content: { n: Number.NaN } }), rules), 'M_BAD_JSON')
  })
})

describe('parseUntrustedPdu: the 65536-byte limit', () => {
  /** The event with its body padded so that its canonical JSON takes exactly `bytes`. */
  function ofSize(rules: RoomVersionRules, bytes: number, pad = 'x'): MutableEvent {
    const event = with_(rules, { content: { body: '' } })
    const base = utf8ByteLength(canonicalJson(event))
    const padBytes = utf8ByteLength(pad)
    const missing = bytes - base
    event['content'] = {
      body: pad.repeat(Math.floor(missing / padBytes)) + 'x'.repeat(missing % padBytes),
    }
    expect(utf8ByteLength(canonicalJson(event))).toBe(bytes)
    return event
  }

  it.each(VERSION_IDS)('v%s: exactly 65536 bytes pass, 65537 do not', (v) => {
    const rules = rulesOf(v)
    expectOk(parse(ofSize(rules, 65536), rules))
    expectErr(parse(ofSize(rules, 65537), rules), 'M_TOO_LARGE', '65537 bytes')
  })

  it('counts UTF-8 bytes, not code units', () => {
    const rules = rulesOf('11')
    const event = ofSize(rules, 65536, '日')
    expect(canonicalJson(event).length).toBeLessThan(65536)
    expectOk(parse(event, rules))
    expectErr(parse(ofSize(rules, 65537, '日'), rules), 'M_TOO_LARGE')
  })

  it('counts signatures and unsigned', () => {
    const rules = rulesOf('11')
    const event = ofSize(rules, 65536)
    expectErr(parse({ ...event, unsigned: { age: 40 } }, rules), 'M_TOO_LARGE')
    expectErr(
      parse({ ...event, signatures: { 'example.org': { 'ed25519:1': 'c2lnx' } } }, rules),
      'M_TOO_LARGE',
    )
  })

  it('measures the canonical form, not the sender-chosen layout', () => {
    // Escapes such as \u00e9 in the wire text are gone once parsed; canonical JSON writes 'é'.
    const rules = rulesOf('11')
    const event = ofSize(rules, 65536)
    const wire = JSON.stringify(event, null, 2)
    expect(wire.length).toBeGreaterThan(65536)
    expectOk(parse(JSON.parse(wire), rules))
  })
})

describe('parseUntrustedPdu: redacts', () => {
  it.each(versionsFrom(1, 10))('v%s: top-level redacts of a redaction', (v) => {
    const rules = rulesOf(v)
    const target = idFor(rules, 9)
    const redaction = with_(rules, {
      type: 'm.room.redaction',
      redacts: target,
      content: { reason: 'spam' },
    })
    expect(expectOk(parse(redaction, rules)).redacts).toBe(target)
    expectErr(parse({ ...redaction, redacts: 5 }, rules), 'M_BAD_JSON', 'redacts must be a string')
    expectErr(parse({ ...redaction, redacts: 'not-an-id' }, rules), 'M_INVALID_PARAM', 'redacts')
    // content.redacts means nothing yet.
    const inContent = with_(rules, { type: 'm.room.redaction', content: { redacts: target } })
    expect(expectOk(parse(inContent, rules))).not.toHaveProperty('redacts')
    // A redaction without a target parses, and redacts nothing.
    expect(expectOk(parse(with_(rules, { type: 'm.room.redaction' }), rules))).not.toHaveProperty(
      'redacts',
    )
  })

  it.each(versionsFrom(1, 10))('v%s: redacts on another event type is only type-checked', (v) => {
    const rules = rulesOf(v)
    expect(expectOk(parse(with_(rules, { redacts: 'anything' }), rules))).not.toHaveProperty(
      'redacts',
    )
    expectErr(parse(with_(rules, { redacts: {} }), rules), 'M_BAD_JSON', 'redacts')
  })

  it.each(versionsFrom(11))('v%s: content.redacts of a redaction', (v) => {
    const rules = rulesOf(v)
    const target = idFor(rules, 9)
    const redaction = with_(rules, { type: 'm.room.redaction', content: { redacts: target } })
    expect(expectOk(parse(redaction, rules)).redacts).toBe(target)
    expectErr(
      parse(with_(rules, { type: 'm.room.redaction', content: { redacts: 1 } }), rules),
      'M_BAD_JSON',
      'content.redacts must be a string',
    )
    expectErr(
      parse(with_(rules, { type: 'm.room.redaction', content: { redacts: '$a:b.org' } }), rules),
      'M_INVALID_PARAM',
      'content.redacts',
    )
    // The top-level key is no longer part of the format.
    const topLevel = with_(rules, { type: 'm.room.redaction', redacts: target, content: {} })
    expect(expectOk(parse(topLevel, rules))).not.toHaveProperty('redacts')
    // content.redacts of other event types is just content.
    expectOk(parse(with_(rules, { content: { redacts: 5 } }), rules))
  })
})

describe('loadTrustedPdu', () => {
  it.each(VERSION_IDS)('v%s gives the same view as parseUntrustedPdu', (v) => {
    const rules = rulesOf(v)
    const events = [
      validEvent(rules),
      with_(rules, {
        type: 'm.room.member',
        state_key: '@bob:x.org',
        content: { membership: 'join' },
      }),
      rules.redaction.v11Redaction
        ? with_(rules, { type: 'm.room.redaction', content: { redacts: idFor(rules, 7) } })
        : with_(rules, { type: 'm.room.redaction', redacts: idFor(rules, 7) }),
    ]
    if (rules.eventFormat.roomIdIsCreateEventHash) {
      events.push(
        with_(rules, { type: 'm.room.create', state_key: '', prev_events: [], auth_events: [] }, [
          'room_id',
        ]),
      )
    }
    for (const json of events) {
      const parsed = expectOk(parse(json, rules))
      expect(loadTrustedPdu(json, parsed.eventId, rules)).toEqual(parsed)
    }
  })

  it('does no checks', () => {
    const rules = rulesOf('11')
    const json: JsonObject = { ...validEvent(rules), depth: -5 }
    expect(loadTrustedPdu(json, '$stored' as EventId, rules).depth).toBe(-5)
  })
})

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value

const PDU_KEYS = [
  'type',
  'state_key',
  'sender',
  'room_id',
  'event_id',
  'content',
  'origin_server_ts',
  'depth',
  'prev_events',
  'auth_events',
  'hashes',
  'signatures',
  'unsigned',
  'redacts',
] as const

const KNOWN_ERRCODES: readonly string[] = ['M_BAD_JSON', 'M_TOO_LARGE', 'M_INVALID_PARAM']

describe('parseUntrustedPdu never throws', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(jsonValue, fc.constantFrom(...VERSION_IDS), (value, v) => {
        const result = parse(value, rulesOf(v))
        if (!result.ok) expect(KNOWN_ERRCODES).toContain(result.error.errcode)
      }),
      { numRuns: 500 },
    )
  })

  it('on valid events with fields replaced or removed', () => {
    const mutation = fc.record({
      key: fc.constantFrom(...PDU_KEYS),
      value: fc.option(jsonValue, { nil: undefined }),
    })
    fc.assert(
      fc.property(
        fc.array(mutation, { maxLength: 3 }),
        fc.constantFrom(...VERSION_IDS),
        (mutations, v) => {
          const rules = rulesOf(v)
          const event = validEvent(rules)
          for (const { key, value } of mutations) {
            if (value === undefined) delete event[key]
            else event[key] = value
          }
          const result = parse(event, rules)
          if (result.ok) {
            expect(loadTrustedPdu(event, result.value.eventId, rules)).toEqual(result.value)
          } else {
            expect(KNOWN_ERRCODES).toContain(result.error.errcode)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('on nested mutations of prev_events, auth_events, hashes and signatures', () => {
    const rules = rulesOf('1')
    fc.assert(
      fc.property(
        fc.constantFrom('prev_events', 'auth_events', 'hashes', 'signatures'),
        jsonValue,
        (key, inner) => {
          const event = validEvent(rules)
          const wrapped: JsonValue =
            key === 'hashes'
              ? { sha256: inner }
              : key === 'signatures'
                ? { s: { k: inner } }
                : [[inner, inner]]
          event[key] = wrapped
          const result = parse(event, rules)
          expect(typeof result.ok).toBe('boolean')
        },
      ),
    )
  })
})

function versionsFrom(from: number, to = 12): string[] {
  return VERSION_IDS.filter((v) => Number(v) >= from && Number(v) <= to)
}
