import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sampleEvents } from '../testing/sample-events.js'
import {
  canonicalJson,
  canonicalJsonWithout,
  checkCanonicalJson,
  compareCodePoints,
  isWellFormedText,
  scanWellFormed,
} from './canonical-json.js'
import type { JsonObject, JsonValue } from './json.js'

/** A slow, obviously correct encoder to compare against: sorts keys by arrays of code points. */
function referenceCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return '[' + value.map(referenceCanonical).join(',') + ']'
  const object = value as Record<string, unknown>
  const keys = Object.keys(object).sort((a, b) => {
    const x = Array.from(a, (ch) => ch.codePointAt(0) ?? 0)
    const y = Array.from(b, (ch) => ch.codePointAt(0) ?? 0)
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0)
    }
    return x.length - y.length
  })
  return (
    '{' + keys.map((k) => JSON.stringify(k) + ':' + referenceCanonical(object[k])).join(',') + '}'
  )
}

describe('canonicalJson: the appendix examples', () => {
  const examples: [string, string][] = [
    ['{}', '{}'],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
    ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
    ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
    ['{\n    "a": null\n}', '{"a":null}'],
    ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
  ]
  for (const [input, expected] of examples) {
    it(`encodes ${input.replace(/\s+/g, ' ').slice(0, 40)}`, () => {
      expect(canonicalJson(JSON.parse(input) as JsonValue)).toBe(expected)
    })
  }
})

describe('canonicalJson: strings', () => {
  it('uses the short escapes and lowercase \\u00XX for the other controls', () => {
    const expected: Record<number, string> = {
      0x08: '\\b',
      0x09: '\\t',
      0x0a: '\\n',
      0x0c: '\\f',
      0x0d: '\\r',
    }
    for (let c = 0; c < 0x20; c++) {
      const escape = expected[c] ?? '\\u00' + c.toString(16).padStart(2, '0')
      expect(canonicalJson(String.fromCharCode(c))).toBe(`"${escape}"`)
    }
    expect(canonicalJson('\u001f')).toBe('"\\u001f"')
    expect(canonicalJson('\u000b')).toBe('"\\u000b"')
  })

  it('escapes only quote and backslash among printable characters', () => {
    expect(canonicalJson('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"')
    expect(canonicalJson("a/b<>&'")).toBe('"a/b<>&\'"')
  })

  it('writes everything from U+0020 up literally, DEL and line separators included', () => {
    for (const s of ['\u007f', '\u0080', '\u2028', '\u2029', 'é', '日本語', '\ufeff', '\uffff']) {
      expect(canonicalJson(s)).toBe(`"${s}"`)
    }
    expect(canonicalJson('🎉 \u{10ffff}')).toBe('"🎉 \u{10ffff}"')
  })

  it('escapes lone surrogates, the only form that keeps such strings apart', () => {
    expect(canonicalJson('\ud800')).toBe('"\\ud800"')
    expect(canonicalJson('a\udfffb')).toBe('"a\\udfffb"')
    expect(canonicalJson('\udc00\ud800')).toBe('"\\udc00\\ud800"')
    expect(canonicalJson({ '\ud800': 1 })).toBe('{"\\ud800":1}')
  })
})

describe('canonicalJson: numbers and other values', () => {
  it('writes integers as digits, -0 as 0', () => {
    expect(canonicalJson(0)).toBe('0')
    expect(canonicalJson(-0)).toBe('0')
    expect(canonicalJson(-42)).toBe('-42')
    expect(canonicalJson(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991')
    expect(canonicalJson(Number.MIN_SAFE_INTEGER)).toBe('-9007199254740991')
    expect(canonicalJson(1e20)).toBe('100000000000000000000')
  })

  it('writes numbers outside the canonical grammar in their shortest form (rooms v1-v5)', () => {
    expect(canonicalJson(1.5)).toBe('1.5')
    expect(canonicalJson(-0.001)).toBe('-0.001')
    expect(canonicalJson(1e21)).toBe('1e+21')
    expect(canonicalJson(1e-7)).toBe('1e-7')
  })

  it('writes literals, arrays and nesting', () => {
    expect(canonicalJson(true)).toBe('true')
    expect(canonicalJson(false)).toBe('false')
    expect(canonicalJson(null)).toBe('null')
    expect(canonicalJson([])).toBe('[]')
    expect(canonicalJson([1, 'a', null, [true, {}]])).toBe('[1,"a",null,[true,{}]]')
    expect(canonicalJson({ a: { c: [{ z: 1, y: 2 }], b: 1 } })).toBe(
      '{"a":{"b":1,"c":[{"y":2,"z":1}]}}',
    )
  })

  it('skips properties whose value is undefined, wherever they are', () => {
    const value = { b: undefined, a: 1, c: { d: undefined } } as unknown as JsonValue
    expect(canonicalJson(value)).toBe('{"a":1,"c":{}}')
    const first = { a: undefined, b: 2 } as unknown as JsonValue
    expect(canonicalJson(first)).toBe('{"b":2}')
  })

  it('throws on values outside the JsonValue contract', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError)
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(TypeError)
    expect(() => canonicalJson(undefined as unknown as JsonValue)).toThrow(TypeError)
    expect(() => canonicalJson([undefined] as unknown as JsonValue)).toThrow(TypeError)
    expect(() => canonicalJson((() => 1) as unknown as JsonValue)).toThrow(TypeError)
    expect(() => canonicalJson(10n as unknown as JsonValue)).toThrow(TypeError)
  })
})

describe('canonicalJson: key order', () => {
  it('sorts by code point, not by UTF-16 code unit', () => {
    // U+FFFF < U+10000 as code points, but '\uffff' > '\ud800\udc00' as code units.
    const object = { '\u{10000}': 1, '\uffff': 2, '\ue000': 3, '🎉': 4, z: 5 }
    expect(canonicalJson(object)).toBe('{"z":5,"\ue000":3,"\uffff":2,"\u{10000}":1,"🎉":4}')
    expect(Object.keys(object).sort()).not.toEqual(['z', '\ue000', '\uffff', '\u{10000}', '🎉'])
  })

  it('sorts integer-like keys as strings, not as JavaScript orders them', () => {
    expect(canonicalJson({ a: 1, 10: 2, 9: 3, 1: 4, '-1': 5 })).toBe(
      '{"-1":5,"1":4,"10":2,"9":3,"a":1}',
    )
  })

  it('puts a prefix first, and sorts and escapes keys that need it', () => {
    expect(canonicalJson({ ab: 1, a: 2, '': 3 })).toBe('{"":3,"a":2,"ab":1}')
    // Keys sort by their characters, not by their escaped form: '\\' (U+005C) comes before 'a'.
    expect(canonicalJson({ 'b"': 1, 'a\n': 2, '\\': 3 })).toBe('{"\\\\":3,"a\\n":2,"b\\"":1}')
  })

  it('treats __proto__ as an ordinary key', () => {
    const object = JSON.parse('{"__proto__":{"x":1},"a":2}') as JsonValue
    expect(canonicalJson(object)).toBe('{"__proto__":{"x":1},"a":2}')
  })

  it('agrees with a code-point reference encoder on keys around the surrogate range', () => {
    const unit = fc.constantFrom(
      'a',
      'b',
      '\u007f',
      'é',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '🎉',
      '"',
    )
    const key = fc.string({ unit, maxLength: 4 })
    fc.assert(
      fc.property(fc.dictionary(key, fc.integer()), (object) => {
        expect(canonicalJson(object)).toBe(referenceCanonical(object))
      }),
    )
  })
})

describe('compareCodePoints', () => {
  it('orders like code points', () => {
    expect(compareCodePoints('a', 'a')).toBe(0)
    expect(compareCodePoints('a', 'b')).toBeLessThan(0)
    expect(compareCodePoints('b', 'a')).toBeGreaterThan(0)
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0)
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0)
    expect(compareCodePoints('\uffff', '\u{10000}')).toBeLessThan(0)
    expect(compareCodePoints('\u{10000}', '\ue000')).toBeGreaterThan(0)
    expect(compareCodePoints('\u{10000}', '\u{10001}')).toBeLessThan(0)
    expect(compareCodePoints('\u{1f600}', '\u{10400}')).toBeGreaterThan(0)
    expect(compareCodePoints('\ue000', '\uffff')).toBeLessThan(0)
    expect(compareCodePoints('\ud7ff', '\u{10000}')).toBeLessThan(0)
  })

  it('is a total order that matches code point arrays (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 6 })
    fc.assert(
      fc.property(text, text, (a, b) => {
        const x = Array.from(a, (ch) => ch.codePointAt(0) ?? 0)
        const y = Array.from(b, (ch) => ch.codePointAt(0) ?? 0)
        let expected = x.length - y.length
        for (let i = 0; i < Math.min(x.length, y.length); i++) {
          if (x[i] !== y[i]) {
            expected = (x[i] ?? 0) - (y[i] ?? 0)
            break
          }
        }
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(expected))
      }),
    )
  })
})

describe('canonicalJsonWithout', () => {
  it('leaves out the named top-level keys only', () => {
    const object = { signatures: { a: 1 }, unsigned: {}, b: { signatures: 2 }, a: 1 }
    expect(canonicalJsonWithout(object, ['signatures', 'unsigned'])).toBe(
      '{"a":1,"b":{"signatures":2}}',
    )
    expect(canonicalJsonWithout({ signatures: 1 }, ['signatures'])).toBe('{}')
    expect(canonicalJsonWithout(object, [])).toBe(canonicalJson(object))
  })
})

describe('canonicalJson: properties', () => {
  const anyJson = fc.jsonValue({ stringUnit: 'binary' }) as fc.Arbitrary<JsonValue>

  it('is stable: encoding the parse of an encoding gives the same text', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const once = canonicalJson(value)
        expect(canonicalJson(JSON.parse(once) as JsonValue)).toBe(once)
      }),
    )
  })

  it('matches the reference encoder and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const text = canonicalJson(value)
        expect(text).toBe(referenceCanonical(value))
        // -0 is written as 0, as JSON.stringify does.
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  it('does not depend on key insertion order', () => {
    const object = fc.dictionary(fc.string({ unit: 'binary' }), anyJson)
    fc.assert(
      fc.property(object, fc.integer(), (value, seed) => {
        const entries = Object.entries(value)
        // A deterministic shuffle driven by the seed.
        const shuffled = entries
          .map((entry, i) => ({ entry, rank: Math.imul(i + 1, seed | 1) >>> 0 }))
          .sort((x, y) => x.rank - y.rank)
          .map((x) => x.entry)
        const rebuilt: Record<string, JsonValue> = {}
        for (const [k, v] of shuffled)
          Object.defineProperty(rebuilt, k, { value: v, enumerable: true })
        expect(canonicalJson(rebuilt)).toBe(canonicalJson(value as JsonObject))
      }),
    )
  })

  it('has no whitespace outside strings for realistic events', () => {
    for (const event of sampleEvents(50)) {
      const text = canonicalJson(event)
      expect(text).toBe(referenceCanonical(event))
      expect(text.length).toBeLessThanOrEqual(JSON.stringify(event).length)
    }
  })
})

describe('checkCanonicalJson', () => {
  const okIn = (value: unknown, strict: boolean) => checkCanonicalJson(value as JsonValue, strict)

  it('accepts the canonical integer range in strict mode, and -0', () => {
    for (const n of [0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(okIn({ n }, true)).toEqual({ ok: true, value: undefined })
    }
  })

  it('refuses fractions and out-of-range integers in strict mode only', () => {
    for (const n of [1.5, 2 ** 53, -(2 ** 53), 1e21, 1e300]) {
      const strict = okIn([{ n }], true)
      expect(strict.ok).toBe(false)
      if (!strict.ok) expect(strict.error.errcode).toBe('M_BAD_JSON')
      expect(okIn([{ n }], false).ok).toBe(true)
    }
    const fraction = okIn(0.5, true)
    expect(!fraction.ok && fraction.error.error).toMatch(/not an integer/)
    const range = okIn(2 ** 60, true)
    expect(!range.ok && range.error.error).toMatch(/outside the canonical JSON range/)
  })

  it('refuses non-finite numbers in both modes', () => {
    for (const strict of [true, false]) {
      for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const result = okIn({ a: [n] }, strict)
        expect(result.ok).toBe(false)
        if (!result.ok) expect(result.error.errcode).toBe('M_BAD_JSON')
      }
    }
  })

  it('refuses lone surrogates in values and keys, in both modes', () => {
    for (const strict of [true, false]) {
      expect(okIn({ a: 'x\ud800' }, strict).ok).toBe(false)
      expect(okIn({ a: ['\udc00'] }, strict).ok).toBe(false)
      expect(okIn({ 'k\udbff': 1 }, strict).ok).toBe(false)
      expect(okIn({ '🎉': '🎉' }, strict).ok).toBe(true)
    }
  })

  it('refuses values that are not JSON, and skips undefined properties', () => {
    expect(okIn({ a: () => 1 }, false).ok).toBe(false)
    expect(okIn([undefined], false).ok).toBe(false)
    expect(okIn({ a: 1n }, false).ok).toBe(false)
    expect(okIn({ a: undefined, b: [true, null, 'x', {}] }, true).ok).toBe(true)
  })

  it('refuses nesting past 1000 levels instead of exhausting the stack', () => {
    let deep: unknown = 1
    for (let i = 0; i < 1001; i++) deep = [deep]
    const result = okIn(deep, false)
    expect(!result.ok && result.error.error).toMatch(/nested too deeply/)
    let fine: unknown = 1
    for (let i = 0; i < 999; i++) fine = { a: fine }
    expect(okIn(fine, true).ok).toBe(true)
  })
})

describe('isWellFormedText and scanWellFormed', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['plain ascii', true],
    ['日本語 🎉 \u{10ffff}', true],
    ['\ud800', false],
    ['\udc00', false],
    ['a\ud800b', false],
    ['🎉\ud800', false],
    ['\ud800\ud800\udc00', false],
    ['\udc00\ud800', false],
    ['x🎉y🎉', true],
  ]
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} is ${expected ? 'well formed' : 'not well formed'}`, () => {
      expect(isWellFormedText(text)).toBe(expected)
      expect(scanWellFormed(text)).toBe(expected)
    })
  }

  it('agree on arbitrary UTF-16 (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary-ascii' }),
        fc.string({ unit: fc.constantFrom('a', '\ud800', '\udc00', '🎉') }),
        (a, b) => {
          const text = a + b
          expect(scanWellFormed(text)).toBe(isWellFormedText(text))
        },
      ),
    )
  })
})
