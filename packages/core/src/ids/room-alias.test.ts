import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { parseRoomAlias, roomAliasLocalpart, roomAliasServerName } from './room-alias.js'
import type { RoomAlias } from './types.js'

function valid(raw: string): RoomAlias {
  const result = parseRoomAlias(raw)
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${result.error.error}`)
  return result.value
}

function problem(raw: string): string {
  const result = parseRoomAlias(raw)
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`)
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

describe('parseRoomAlias', () => {
  it.each([
    ['#room:example.org', 'room', 'example.org'],
    ['#:example.org', '', 'example.org'],
    ['#Room With Spaces:example.org:8448', 'Room With Spaces', 'example.org:8448'],
    ['#ünï\u{1F600}\u0001:[::1]', 'ünï\u{1F600}\u0001', '[::1]'],
    ['##hash#:1.2.3.4:80', '#hash#', '1.2.3.4:80'],
  ])('accepts %j', (raw, localpart, server) => {
    const alias = valid(raw)
    expect(alias).toBe(raw)
    expect(roomAliasLocalpart(alias)).toBe(localpart)
    expect(roomAliasServerName(alias)).toBe(server)
  })

  it.each([
    ['', /must start with '#'/],
    ['room:example.org', /must start with '#'/],
    ['!room:example.org', /must start with '#'/],
    ['#room', /no ':' before a server name/],
    ['#room:', /server name is empty/],
    ['#room:example.org:99999', /port outside 1-65535/],
    ['#ro\u0000om:example.org', /localpart contains NUL or a lone surrogate/],
    ['#\uD800:example.org', /localpart contains NUL or a lone surrogate/],
  ])('rejects %j', (raw, message) => {
    expect(problem(raw)).toMatch(message)
  })

  it('limits the whole alias to 255 bytes, counted in UTF-8', () => {
    const ofBytes = (n: number, fill: string, size: number): string => {
      const rest = n - '#'.length - ':example.org'.length
      return `#${'a'.repeat(rest % size)}${fill.repeat(Math.floor(rest / size))}:example.org`
    }
    for (const [fill, size] of [
      ['a', 1],
      ['é', 2],
      ['\u{1F600}', 4],
    ] as const) {
      expect(Buffer.byteLength(valid(ofBytes(255, fill, size)))).toBe(255)
      expect(valid(ofBytes(254, fill, size))).toBeDefined()
      expect(problem(ofBytes(256, fill, size))).toMatch(/room alias is longer than 255 bytes/)
    }
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    const result = parseRoomAlias(7 as unknown as string)
    expect(result).toEqual({
      ok: false,
      error: { errcode: 'M_INVALID_PARAM', error: 'room alias must be a string' },
    })
  })
})
