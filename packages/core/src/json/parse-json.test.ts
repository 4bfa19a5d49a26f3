import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ErrCode } from '../errors/matrix-error.js'
import { sampleEvents } from '../testing/sample-events.js'
import { canonicalJson } from './canonical-json.js'
import type { JsonValue } from './json.js'
import { DEFAULT_MAX_JSON_DEPTH, parseJson, type ParseJsonOptions } from './parse-json.js'

function expectValue(text: string, options?: ParseJsonOptions): JsonValue {
  const result = parseJson(text, options)
  if (!result.ok) throw new Error(`expected ok for ${text.slice(0, 60)}: ${result.error.error}`)
  return result.value
}

function expectError(text: string, errcode: ErrCode, options?: ParseJsonOptions): string {
  const result = parseJson(text, options)
  expect(result.ok, `expected ${errcode} for ${String(text as unknown).slice(0, 60)}`).toBe(false)
  if (result.ok) return ''
  expect(result.error.errcode).toBe(errcode)
  return result.error.error
}

const strict = { strict: true } as const

describe('parseJson: valid JSON', () => {
  it('parses what JSON.parse parses', () => {
    for (const text of [
      '{}',
      '[]',
      '0',
      '-0',
      '"x"',
      'true',
      'false',
      'null',
      ' \t\n\r{ "a" : [ 1 , -2 , { "b" : null } ] }\n',
      '{"a":"日本語","b":"\\u65E5\\n\\"\\\\\\/","c":"🎉"}',
      '[9007199254740991,-9007199254740991,1000000000000000]',
    ]) {
      expect(expectValue(text)).toEqual(JSON.parse(text))
      expect(expectValue(text, strict)).toEqual(JSON.parse(text))
    }
  })

  it('keeps __proto__ as an own key', () => {
    const value = expectValue('{"__proto__":{"a":1}}') as Record<string, unknown>
    expect(Object.keys(value)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })

  it('is not fooled by structure inside strings', () => {
    expect(expectValue('{"a":"1.5e400 [[[[ : 99999999999999999999 }}}"}', strict)).toEqual({
      a: '1.5e400 [[[[ : 99999999999999999999 }}}',
    })
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    expect(expectValue('{"a":"x\\"1.5\\"","b":2}', strict)).toEqual({ a: 'x"1.5"', b: 2 })
    expect(expectValue('["\\\\",2,"\\\\\\"",3]', strict)).toEqual(['\\', 2, '\\"', 3])
    expectError('["\\\\",1.5]', 'M_BAD_JSON', strict)
    expectError('["\\\\\\"",1.5]', 'M_BAD_JSON', strict)
  })

  it('parses realistic events exactly as JSON.parse does', () => {
    for (const event of sampleEvents(100)) {
      const text = JSON.stringify(event)
      expect(expectValue(text, strict)).toEqual(event)
    }
  })
})

describe('parseJson: text that is not JSON is M_NOT_JSON', () => {
  it('refuses malformed text', () => {
    for (const text of [
      '',
      ' ',
      '{',
      '}',
      '[1,]',
      '{"a":1,}',
      "{'a':1}",
      '{a:1}',
      'NaN',
      'Infinity',
      '-Infinity',
      'undefined',
      '01',
      '-',
      '[-]',
      '1.',
      '.5',
      '1e',
      '"abc',
      '"abc\\',
      '"\\x41"',
      '"\\u12"',
      '"\\ud8zz"',
      '"\\ud800\\uzzzz"',
      '"tab\there"',
      '\ufeff{}',
      '{} {}',
      '[1 2]',
    ]) {
      expectError(text, 'M_NOT_JSON')
    }
  })

  it('refuses input that is not a string', () => {
    expectError(42 as unknown as string, 'M_NOT_JSON')
    expectError(undefined as unknown as string, 'M_NOT_JSON')
    expectError(new Uint8Array([0x7b, 0x7d]) as unknown as string, 'M_NOT_JSON')
  })
})

describe('parseJson: numbers', () => {
  it('accepts the canonical integer range and refuses literals beyond it', () => {
    for (const options of [undefined, strict]) {
      expect(expectValue('9007199254740991', options)).toBe(Number.MAX_SAFE_INTEGER)
      expect(expectValue('-9007199254740991', options)).toBe(Number.MIN_SAFE_INTEGER)
      expect(expectValue('1000000000000000', options)).toBe(1e15)
      for (const text of [
        '9007199254740992',
        '-9007199254740992',
        '9007199254740993',
        '9999999999999999',
        '10000000000000000',
        '12345678901234567890',
        '[1,{"a":-123456789012345678901234567890}]',
        '1'.repeat(100_000),
      ]) {
        expect(expectError(text, 'M_BAD_JSON', options)).toMatch(/range/)
      }
    }
  })

  it('refuses every fraction and exponent in strict mode', () => {
    for (const text of ['1.5', '1.0', '1e3', '1E3', '1e+3', '1e-3', '-0.0', '[0,{"a":2.5}]']) {
      expect(expectError(text, 'M_BAD_JSON', strict)).toMatch(/integers/)
    }
  })

  it('accepts finite fractions and exponents in lenient mode, but not overflow', () => {
    expect(expectValue('1.5')).toBe(1.5)
    expect(expectValue('1e3')).toBe(1000)
    expect(expectValue('-2.5E-3')).toBe(-0.0025)
    expect(expectValue('1e30')).toBe(1e30)
    expect(expectValue('1e-400')).toBe(0)
    expect(expectError('1e400', 'M_BAD_JSON')).toMatch(/too large/)
    expect(expectError('[-1.5e999]', 'M_BAD_JSON')).toMatch(/too large/)
  })

  it('accepts -0, which canonical JSON writes as 0', () => {
    const value = expectValue('{"a":-0}', strict)
    expect(canonicalJson(value)).toBe('{"a":0}')
  })
})

describe('parseJson: strings without a UTF-8 form', () => {
  it('refuses escaped lone surrogates, in values and keys', () => {
    for (const text of [
      '"\\ud800"',
      '"\\uDBFF"',
      '"\\udc00"',
      '"a\\ud800b"',
      '"\\ud800\\n"',
      '"\\ud800\\ud800"',
      '"\\ud800\\u0041"',
      '"\\ude00\\ud83d"',
      '{"\\ud800":1}',
      '["ok","\\ud83d"]',
    ]) {
      expect(expectError(text, 'M_BAD_JSON')).toMatch(/surrogate/)
      expectError(text, 'M_BAD_JSON', strict)
    }
  })

  it('refuses raw lone surrogates in the text, even next to an escape that would pair them', () => {
    for (const text of [
      '"\ud800"',
      '"x\udc00"',
      '{"\ud83d":1}',
      '"\ud83d\\ude00"',
      '"\\ud83d\ude00"',
    ]) {
      expect(expectError(text, 'M_BAD_JSON')).toMatch(/surrogate/)
    }
  })

  it('accepts surrogate pairs, escaped or raw, and text that only looks like an escape', () => {
    expect(expectValue('"\\ud83d\\ude00"')).toBe('😀')
    expect(expectValue('"\\uD83D\\uDE00"')).toBe('😀')
    expect(expectValue('"😀"')).toBe('😀')
    expect(expectValue('"\\\\ud800"')).toBe('\\ud800')
    expect(expectValue('"\\\\\\\\ud800 \\ud7ff \\ue000"')).toBe('\\\\ud800 \ud7ff \ue000')
    expectError('"\\\\\\ud800"', 'M_BAD_JSON')
  })
})

describe('parseJson: duplicate keys', () => {
  it('refuses a key repeated in one object, at any depth', () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"a":1,"a":1}',
      '{"x":{"a":1,"b":2,"a":3}}',
      '[{"ok":1},{"a":[],"a":{}}]',
      '{"a":1,"\\u0061":2}',
      '{"__proto__":1,"__proto__":2}',
    ]) {
      expect(expectError(text, 'M_BAD_JSON')).toMatch(/duplicate/)
    }
  })

  it('allows the same key in different objects', () => {
    expect(expectValue('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }])
    expect(expectValue('{"a":1,"b":{"a":2,"b":{"a":3}}}')).toEqual({
      a: 1,
      b: { a: 2, b: { a: 3 } },
    })
    expect(expectValue('{"a:b":"c:d","e":":"}')).toEqual({ 'a:b': 'c:d', e: ':' })
  })
})

describe('parseJson: hostile input', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
  const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

  it(`allows ${DEFAULT_MAX_JSON_DEPTH} levels of nesting by default and refuses more`, () => {
    expectValue(nested(DEFAULT_MAX_JSON_DEPTH))
    expectValue(nestedObjects(DEFAULT_MAX_JSON_DEPTH))
    expect(expectError(nested(DEFAULT_MAX_JSON_DEPTH + 1), 'M_BAD_JSON')).toMatch(/nested deeper/)
    expectError(nestedObjects(DEFAULT_MAX_JSON_DEPTH + 1), 'M_BAD_JSON')
  })

  it('honours maxDepth', () => {
    expectValue('[[1]]', { maxDepth: 2 })
    expectError('[[[1]]]', 'M_BAD_JSON', { maxDepth: 2 })
    expectError('{}', 'M_BAD_JSON', { maxDepth: 0 })
    expectValue('1', { maxDepth: 0 })
    expectValue('[[],[],[]]', { maxDepth: 2 })
  })

  it('refuses a million open brackets quickly, closed or not', () => {
    const start = Date.now()
    expectError('['.repeat(1_000_000), 'M_BAD_JSON')
    expectError(nested(1_000_000), 'M_BAD_JSON')
    expectError('{"a":'.repeat(1_000_000), 'M_BAD_JSON')
    expect(Date.now() - start).toBeLessThan(1000)
  })

  it('walks deep values without recursion when maxDepth allows them', () => {
    expect(expectValue(nestedObjects(200_000), { maxDepth: 1_000_000 })).toBeTypeOf('object')
    const duplicate = '{"a":'.repeat(100_000) + '{"x":1,"x":2}' + '}'.repeat(100_000)
    expectError(duplicate, 'M_BAD_JSON', { maxDepth: 1_000_000 })
  })

  it('handles 10 MB strings in linear time', () => {
    const start = Date.now()
    const plain = '"' + 'x'.repeat(10_000_000) + '"'
    expect((expectValue(plain) as string).length).toBe(10_000_000)
    const backslashes = '["' + '\\\\'.repeat(5_000_000) + '",1]'
    expect(expectValue(backslashes, strict)).toEqual(['\\'.repeat(5_000_000), 1])
    const quotes = '["' + '\\"'.repeat(5_000_000) + '",2]'
    expect(expectValue(quotes, strict)).toEqual(['"'.repeat(5_000_000), 2])
    const emoji = '"' + '\\ud83d\\ude00'.repeat(500_000) + '"'
    expect((expectValue(emoji) as string).length).toBe(1_000_000)
    expectError('"' + 'x'.repeat(10_000_000), 'M_NOT_JSON')
    expect(Date.now() - start).toBeLessThan(5000)
  })

  it('never throws on arbitrary text (property)', () => {
    const unit = fc.constantFrom(...'{}[]:,"\\-0123456789.eE+ tfnu\ud800\udc00a'.split(''))
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.boolean(), (text, isStrict) => {
        const result = parseJson(text, { strict: isStrict })
        let native: unknown
        let nativeOk = true
        try {
          native = JSON.parse(text)
        } catch {
          nativeOk = false
        }
        // Whatever JSON.parse refuses is M_NOT_JSON unless refused earlier for its depth.
        if (!nativeOk) expect(result.ok).toBe(false)
        if (result.ok) expect(result.value).toEqual(native)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('parseJson: agreement with JSON.parse (properties)', () => {
  /** Replaces numbers so that the value is valid canonical JSON (strict) or representable (lenient). */
  function tame(value: JsonValue, integersOnly: boolean): JsonValue {
    if (typeof value === 'number') {
      if (integersOnly || Number.isInteger(value)) {
        const n = Math.trunc(value) % Number.MAX_SAFE_INTEGER
        return Number.isSafeInteger(n) ? n : 0
      }
      return value
    }
    if (Array.isArray(value)) return value.map((item: JsonValue) => tame(item, integersOnly))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {}
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, { value: tame(v, integersOnly), enumerable: true })
      }
      return out
    }
    return value
  }
  const json = fc.jsonValue({ stringUnit: 'binary', maxDepth: 8 }) as fc.Arbitrary<JsonValue>

  it('lenient mode agrees with JSON.parse on representable JSON, however it is spaced', () => {
    fc.assert(
      fc.property(json, fc.constantFrom(undefined, 1, '\t'), (raw, indent) => {
        const value = tame(raw, false)
        const text = JSON.stringify(value, null, indent)
        expect(expectValue(text)).toEqual(JSON.parse(text))
      }),
    )
  })

  it('strict mode accepts canonical JSON and gives back the same canonical text', () => {
    fc.assert(
      fc.property(json, (raw) => {
        const text = canonicalJson(tame(raw, true))
        expect(canonicalJson(expectValue(text, strict))).toBe(text)
      }),
    )
  })
})
