import { describe, expect, it } from 'vitest'
import { propertyAt, splitPropertyPath } from './property-path.js'

describe('splitPropertyPath', () => {
  it('splits on dots and unescapes \\. and \\\\ (the appendix examples)', () => {
    expect(splitPropertyPath('content.body')).toEqual(['content', 'body'])
    expect(splitPropertyPath('content.m\\.relates_to')).toEqual(['content', 'm.relates_to'])
    expect(splitPropertyPath('content.m\\\\foo')).toEqual(['content', 'm\\foo'])
    expect(splitPropertyPath('content.m\\.mentions.user_ids')).toEqual([
      'content',
      'm.mentions',
      'user_ids',
    ])
  })

  it('keeps other escape sequences as they are', () => {
    expect(splitPropertyPath('a\\x')).toEqual(['a\\x'])
    expect(splitPropertyPath('trailing\\')).toEqual(['trailing\\'])
    expect(splitPropertyPath('type')).toEqual(['type'])
    expect(splitPropertyPath('')).toEqual([''])
    expect(splitPropertyPath('a..b')).toEqual(['a', '', 'b'])
  })

  it('keeps working when many paths have been split', () => {
    for (let i = 0; i < 2100; i++) expect(splitPropertyPath(`k${i}.x`)).toEqual([`k${i}`, 'x'])
  })
})

describe('propertyAt', () => {
  const event = {
    type: 'm.room.message',
    content: {
      body: 'hi',
      'm.relates_to': { rel_type: 'm.thread' },
      'm\\foo': 1,
      list: [1, 2],
      nothing: null,
    },
  }

  it('follows the path through objects', () => {
    expect(propertyAt(event, 'type')).toBe('m.room.message')
    expect(propertyAt(event, 'content.body')).toBe('hi')
    expect(propertyAt(event, 'content.m\\.relates_to.rel_type')).toBe('m.thread')
    expect(propertyAt(event, 'content.m\\\\foo')).toBe(1)
    expect(propertyAt(event, 'content.list')).toEqual([1, 2])
    expect(propertyAt(event, 'content.nothing')).toBeNull()
  })

  it('is undefined for a missing step or one that is not an object', () => {
    expect(propertyAt(event, 'content.missing')).toBeUndefined()
    expect(propertyAt(event, 'content.body.length')).toBeUndefined()
    expect(propertyAt(event, 'content.list.0')).toBeUndefined()
    expect(propertyAt(event, 'content.nothing.x')).toBeUndefined()
    expect(propertyAt(event, 'content.m.relates_to')).toBeUndefined()
  })

  it('never reads inherited properties', () => {
    expect(propertyAt(event, 'toString')).toBeUndefined()
    expect(propertyAt(event, 'content.__proto__')).toBeUndefined()
    expect(propertyAt(event, 'constructor.name')).toBeUndefined()
  })
})
