import type { JsonObject } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { pdu } from '../../../../core/src/testing/pdu-fixtures.js'
import { relationOf, searchEntryOf } from './event-index.js'

const event = (type: string, content: JsonObject, stateKey?: string) =>
  pdu({
    id: 'child:x',
    type,
    sender: '@a:x',
    content,
    ...(stateKey === undefined ? {} : { stateKey }),
  })

describe('relationOf', () => {
  it('reads rel_type and event_id, and the key of an annotation only', () => {
    expect(
      relationOf(
        event('m.reaction', {
          'm.relates_to': { rel_type: 'm.annotation', event_id: '$p:x', key: '👍' },
        }),
      ),
    ).toEqual({ relType: 'm.annotation', relatesTo: '$p:x', key: '👍', hasNewContent: false })
    expect(
      relationOf(
        event('m.room.message', {
          body: '*',
          'm.relates_to': { rel_type: 'm.thread', event_id: '$p:x', key: 'ignored' },
        }),
      ),
    ).toEqual({ relType: 'm.thread', relatesTo: '$p:x', key: undefined, hasNewContent: false })
  })

  it('marks whether a replacement carries m.new_content (or is encrypted)', () => {
    const edit = (type: string, extra: JsonObject) =>
      relationOf(
        event(type, { 'm.relates_to': { rel_type: 'm.replace', event_id: '$p:x' }, ...extra }),
      )?.hasNewContent
    expect(edit('m.room.message', { 'm.new_content': { body: 'b' } })).toBe(true)
    expect(edit('m.room.message', { 'm.new_content': 'not an object' })).toBe(false)
    expect(edit('m.room.message', {})).toBe(false)
    expect(edit('m.room.encrypted', { ciphertext: 'x' })).toBe(true)
  })

  it('ignores what is not a relation', () => {
    const cases: JsonObject[] = [
      {},
      { 'm.relates_to': 'x' },
      { 'm.relates_to': { 'm.in_reply_to': { event_id: '$p:x' } } },
      { 'm.relates_to': { rel_type: 'm.thread' } },
      { 'm.relates_to': { rel_type: '', event_id: '$p:x' } },
      { 'm.relates_to': { rel_type: 7, event_id: '$p:x' } },
      { 'm.relates_to': { rel_type: 'm.thread', event_id: 'p:x' } },
      { 'm.relates_to': { rel_type: 'm.thread', event_id: `$${'a'.repeat(300)}` } },
      { 'm.relates_to': { rel_type: 'm.th\u0000read', event_id: '$p:x' } },
      // An event cannot relate to itself.
      { 'm.relates_to': { rel_type: 'm.thread', event_id: '$child:x' } },
    ]
    for (const content of cases)
      expect(relationOf(event('m.room.message', content))).toBeUndefined()
  })
})

describe('searchEntryOf', () => {
  it('indexes message bodies, room names and topics under their keys', () => {
    expect(searchEntryOf(event('m.room.message', { body: 'hello', msgtype: 'm.text' }))).toEqual({
      key: 'content.body',
      text: 'hello',
    })
    expect(searchEntryOf(event('m.room.name', { name: 'Lunch' }, ''))).toEqual({
      key: 'content.name',
      text: 'Lunch',
    })
    expect(
      searchEntryOf(
        event(
          'm.room.topic',
          {
            topic: 'Food',
            'm.topic': {
              'm.text': [{ mimetype: 'text/html', body: '<b>x</b>' }, { body: 'Meals' }],
            },
          },
          '',
        ),
      ),
    ).toEqual({ key: 'content.topic', text: 'Food\nMeals' })
    expect(
      searchEntryOf(
        event('m.room.topic', { 'm.topic': { 'm.text': [{ body: 'Only here' }] } }, ''),
      ),
    ).toEqual({ key: 'content.topic', text: 'Only here' })
  })

  it('indexes nothing else, nor empty text, and replaces U+0000', () => {
    expect(searchEntryOf(event('m.room.message', { body: '  ' }))).toBeUndefined()
    expect(searchEntryOf(event('m.room.message', { body: 5 }))).toBeUndefined()
    expect(searchEntryOf(event('m.room.name', { name: 'state key set' }, 'x'))).toBeUndefined()
    expect(searchEntryOf(event('m.reaction', { body: 'no' }))).toBeUndefined()
    expect(searchEntryOf(event('m.room.message', { body: 'a\u0000b' }))?.text).toBe('a b')
  })
})
