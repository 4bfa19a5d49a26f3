import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { EventId, RoomId } from './types.js'
import { parseEventId } from './event-id.js'
import {
  createEventIdOfRoom,
  parseRoomId,
  roomIdFromCreateEventId,
  roomIdServerName,
} from './room-id.js'

function valid(raw: string): RoomId {
  const result = parseRoomId(raw)
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${result.error.error}`)
  return result.value
}

function problem(raw: string): string {
  const result = parseRoomId(raw)
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`)
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

function eventId(raw: string): EventId {
  const result = parseEventId(raw)
  if (!result.ok) throw new Error(result.error.error)
  return result.value
}

/** A v12 room ID: `!` and the URL-safe sha256 of `seed`. */
function hashRoomId(seed: string): string {
  return `!${createHash('sha256').update(seed).digest('base64url')}`
}

const V12 = hashRoomId('create')
const V12_WITH_SYMBOLS = (() => {
  for (let i = 0; ; i++) {
    const id = hashRoomId(String(i))
    if (id.includes('-') && id.includes('_')) return id
  }
})()

describe('parseRoomId', () => {
  it.each([
    '!abc:example.org',
    '!UcYsUzyxTGDxLBEvLy:example.org',
    '!:example.org',
    '!ABC123:matrix.org:8448',
    '!r:[::1]:8448',
    '!with space\u0001 and ü:example.org',
    V12,
    V12_WITH_SYMBOLS,
    '!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg',
  ])('accepts %j', (raw) => {
    expect(valid(raw)).toBe(raw)
  })

  it.each([
    ['', /must start with '!'/],
    ['abc:example.org', /must start with '!'/],
    ['$abc:example.org', /must start with '!'/],
    [V12.slice(1), /must start with '!'/],
    ['!', /neither '!opaque:server' nor '!' and a URL-safe base64 sha256 hash/],
    ['!abc', /neither/],
    [V12.slice(0, -1), /neither/],
    [`${V12}A`, /neither/],
    [`${V12}=`, /neither/],
    [`${V12.slice(0, -1)}h`, /neither/],
    [V12_WITH_SYMBOLS.replaceAll('-', '+').replaceAll('_', '/'), /neither/],
    ['!abc:', /room ID server name is empty/],
    ['!abc:exa_mple.org', /room ID server name has a hostname character/],
    ['!a\u0000b:example.org', /room ID localpart contains NUL or a lone surrogate/],
    ['!\uDFFF:example.org', /room ID localpart contains NUL or a lone surrogate/],
  ])('rejects %j', (raw, message) => {
    expect(problem(raw)).toMatch(message)
  })

  it('limits the whole ID to 255 bytes, counted in UTF-8', () => {
    const ofBytes = (n: number, fill: string, size: number): string => {
      const rest = n - '!'.length - ':example.org'.length
      return `!${'a'.repeat(rest % size)}${fill.repeat(Math.floor(rest / size))}:example.org`
    }
    for (const [fill, size] of [
      ['a', 1],
      ['é', 2],
      ['\u4e2d', 3],
    ] as const) {
      expect(Buffer.byteLength(valid(ofBytes(255, fill, size)))).toBe(255)
      expect(valid(ofBytes(254, fill, size))).toBeDefined()
      expect(problem(ofBytes(256, fill, size))).toMatch(/room ID is longer than 255 bytes/)
    }
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    for (const value of [undefined, null, 42, {}] as unknown[]) {
      const result = parseRoomId(value as string)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toBe('room ID must be a string')
    }
  })
})

describe('roomIdServerName', () => {
  it.each([
    ['!abc:example.org', 'example.org'],
    ['!:example.org:8448', 'example.org:8448'],
    ['!r:[::1]:8448', '[::1]:8448'],
    [V12, undefined],
  ])('of %j is %j', (raw, server) => {
    expect(roomIdServerName(valid(raw))).toBe(server)
  })
})

describe('roomIdFromCreateEventId', () => {
  it("swaps the create event ID's '$' for '!'", () => {
    const create = eventId(`$${V12_WITH_SYMBOLS.slice(1)}`)
    const roomId = roomIdFromCreateEventId(create)
    expect(roomId).toBe(V12_WITH_SYMBOLS)
    expect(valid(roomId)).toBe(roomId)
    expect(roomIdServerName(roomId)).toBeUndefined()
  })

  it('throws for an event ID that is not a URL-safe hash, which is a bug in the caller', () => {
    expect(() => roomIdFromCreateEventId(eventId('$abc:example.org'))).toThrow(
      /not a URL-safe reference hash event ID/,
    )
    expect(() =>
      roomIdFromCreateEventId(eventId('$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk')),
    ).toThrow(/not a URL-safe reference hash event ID/)
  })
})

describe('createEventIdOfRoom', () => {
  it('is the inverse of roomIdFromCreateEventId', () => {
    const create = eventId(`$${V12_WITH_SYMBOLS.slice(1)}`)
    expect(createEventIdOfRoom(roomIdFromCreateEventId(create))).toBe(create)
  })
})
