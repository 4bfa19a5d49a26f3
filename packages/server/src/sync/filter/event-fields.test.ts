import type { JsonObject } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { parseEventFieldPath, projectEventFields, type EventFieldPath } from './event-fields.js'

describe('parseEventFieldPath', () => {
  it.each([
    ['content.body', ['content', 'body']],
    ['type', ['type']],
    ['content.m\\.relates_to', ['content', 'm.relates_to']],
    ['content.m\\\\foo', ['content', 'm\\foo']],
    ['content.\\x', ['content', '\\x']],
    ['a..b', ['a', '', 'b']],
    ['trailing\\', ['trailing\\']],
    ['a.', ['a', '']],
  ])('splits %j', (text, parts) => {
    expect(parseEventFieldPath(text)).toEqual(parts)
  })

  it('names nothing with the empty string', () => {
    expect(parseEventFieldPath('')).toBeUndefined()
  })
})

describe('projectEventFields', () => {
  const event: JsonObject = {
    type: 'm.room.message',
    sender: '@a:test',
    content: { body: 'hi', msgtype: 'm.text', 'm.relates_to': { rel_type: 'x' }, n: null },
    unsigned: { age: 5 },
  }
  const paths = (...texts: string[]): EventFieldPath[] =>
    texts.map((t) => parseEventFieldPath(t) ?? [])

  it('keeps only the named fields, nested ones in fresh objects', () => {
    expect(projectEventFields(event, paths('type', 'content.body'))).toEqual({
      type: 'm.room.message',
      content: { body: 'hi' },
    })
    expect(projectEventFields(event, paths('content.m\\.relates_to.rel_type'))).toEqual({
      content: { 'm.relates_to': { rel_type: 'x' } },
    })
    expect(projectEventFields(event, paths('content.n'))).toEqual({ content: { n: null } })
  })

  it('leaves out what the event lacks, and paths through non-objects', () => {
    expect(projectEventFields(event, paths('state_key', 'content.body.x', 'type.x'))).toEqual({})
    expect(projectEventFields(event, paths('toString', 'content.constructor'))).toEqual({})
  })

  it('merges overlapping paths without changing the event', () => {
    const copy = structuredClone(event)
    const out = projectEventFields(event, paths('content.body', 'content', 'content.msgtype'))
    expect(out).toEqual({ content: event['content'] })
    const out2 = projectEventFields(event, paths('content', 'content.body'))
    expect(out2).toEqual({ content: event['content'] })
    const out3 = projectEventFields(event, paths('content.body', 'content.msgtype'))
    expect(out3).toEqual({ content: { body: 'hi', msgtype: 'm.text' } })
    expect(event).toEqual(copy)
  })
})
