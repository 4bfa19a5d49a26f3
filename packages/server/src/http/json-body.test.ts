import { describe, expect, it } from 'vitest'
import { readJsonObjectBody } from './json-body.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const code = (r: ReturnType<typeof readJsonObjectBody>) => (r.ok ? 'ok' : r.error.errcode)

describe('readJsonObjectBody', () => {
  it('parses an object', () => {
    expect(readJsonObjectBody(bytes('{"a":[1,"é"]}'), 'reject')).toEqual({
      ok: true,
      value: { a: [1, 'é'] },
    })
  })

  it('handles an empty body by policy', () => {
    expect(code(readJsonObjectBody(undefined, 'reject'))).toBe('M_NOT_JSON')
    expect(code(readJsonObjectBody(new Uint8Array(), 'reject'))).toBe('M_NOT_JSON')
    expect(readJsonObjectBody(undefined, 'empty-object')).toEqual({ ok: true, value: {} })
  })

  it('refuses bytes that are not UTF-8, and a byte-order mark', () => {
    expect(code(readJsonObjectBody(new Uint8Array([0x22, 0xc3, 0x22]), 'reject'))).toBe(
      'M_NOT_JSON',
    )
    expect(code(readJsonObjectBody(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), 'reject'))).toBe(
      'M_NOT_JSON',
    )
  })

  it("passes on the core parser's verdicts", () => {
    expect(code(readJsonObjectBody(bytes('{"a":}'), 'reject'))).toBe('M_NOT_JSON')
    expect(code(readJsonObjectBody(bytes('{"a":9007199254740992}'), 'reject'))).toBe('M_BAD_JSON')
    expect(code(readJsonObjectBody(bytes('{"a":1,"a":1}'), 'reject'))).toBe('M_BAD_JSON')
  })

  it('wants an object', () => {
    for (const text of ['[]', '1', 'null', '"s"', 'true']) {
      expect(code(readJsonObjectBody(bytes(text), 'reject'))).toBe('M_BAD_JSON')
    }
  })
})
