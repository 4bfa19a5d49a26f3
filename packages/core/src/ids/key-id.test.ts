import { describe, expect, it } from 'vitest'
import { parseKeyId } from './key-id.js'

describe('parseKeyId', () => {
  it.each([
    ['ed25519:abc_1', 'ed25519', 'abc_1'],
    ['ed25519:1', 'ed25519', '1'],
    ['ed25519:auto2', 'ed25519', 'auto2'],
    ['ed25519:0ldK3y', 'ed25519', '0ldK3y'],
    ['curve25519:ABC_xyz_09', 'curve25519', 'ABC_xyz_09'],
    ['unknown.algo:a', 'unknown.algo', 'a'],
  ])('splits %j in both modes', (raw, algorithm, version) => {
    expect(parseKeyId(raw)).toEqual({ ok: true, value: { algorithm, version } })
    expect(parseKeyId(raw, 'lenient')).toEqual({ ok: true, value: { algorithm, version } })
  })

  it.each([
    ['ed25519:a+bc', 'a+bc'],
    ['ed25519:a-b', 'a-b'],
    ['ed25519:a/b=', 'a/b='],
    ['ed25519:a:b', 'a:b'],
    ['ed25519:ü', 'ü'],
  ])('holds %j to [a-zA-Z0-9_] when strict and accepts it when lenient', (raw, version) => {
    const strict = parseKeyId(raw, 'strict')
    expect(strict.ok).toBe(false)
    if (!strict.ok) {
      expect(strict.error.errcode).toBe('M_INVALID_PARAM')
      expect(strict.error.error).toMatch(/version has characters other than \[a-zA-Z0-9_\]/)
    }
    expect(parseKeyId(raw, 'lenient')).toEqual({
      ok: true,
      value: { algorithm: 'ed25519', version },
    })
  })

  it.each([
    ['', /has no ':'/],
    ['ed25519', /has no ':'/],
    [':abc', /empty algorithm/],
    [':', /empty algorithm/],
    ['ed25519:', /empty version/],
  ])('rejects %j in both modes', (raw, message) => {
    for (const mode of ['strict', 'lenient'] as const) {
      const result = parseKeyId(raw, mode)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toMatch(message)
    }
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    const result = parseKeyId(null as unknown as string)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.error).toBe('key ID must be a string')
  })
})
