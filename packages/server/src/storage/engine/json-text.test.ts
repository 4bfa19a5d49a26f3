import { describe, expect, it } from 'vitest'
import { parseFilterId, parseStoredObject } from './json-text.js'

describe('parseStoredObject', () => {
  it('reads an object and refuses anything else', () => {
    expect(parseStoredObject('{"a":1}', 'x')).toEqual({ a: 1 })
    expect(() => parseStoredObject('[1]', 'filter')).toThrow(/stored filter/)
    expect(() => parseStoredObject('{', 'filter')).toThrow()
  })
})

describe('parseFilterId', () => {
  it('accepts decimal IDs only', () => {
    expect(parseFilterId('0')).toBe(0)
    expect(parseFilterId('42')).toBe(42)
    expect(parseFilterId('')).toBeUndefined()
    expect(parseFilterId('-1')).toBeUndefined()
    expect(parseFilterId('1e3')).toBeUndefined()
    expect(parseFilterId('9'.repeat(16))).toBeUndefined()
    expect(parseFilterId('{"x":1}')).toBeUndefined()
  })
})
