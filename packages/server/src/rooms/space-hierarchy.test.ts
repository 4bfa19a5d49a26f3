import { describe, expect, it } from 'vitest'
import { pdu } from '../../../core/src/testing/pdu-fixtures.js'
import type { JsonObject, Pdu } from '@rhizome/core'
import { compareChildren } from './space-hierarchy.js'

type Child = Pdu & { readonly stateKey: string }

function child(roomId: string, ts: number, content: JsonObject): Child {
  const event = pdu({
    id: `child-${roomId}`,
    type: 'm.space.child',
    sender: '@alice:example.org',
    stateKey: roomId,
    ts,
    content: { via: ['example.org'], ...content },
  })
  return { ...event, stateKey: roomId }
}

const order = (children: Child[]): string[] =>
  [...children].sort(compareChildren).map((c) => c.stateKey)

describe('compareChildren', () => {
  it('orders the example of client-server-api §Ordering of children within a space', () => {
    const children = [
      child('!b:example.org', 1640341000000, { order: ' ' }),
      child('!a:example.org', 1640141000000, { order: 'aaaa' }),
      child('!c:example.org', 1640841000000, { order: 'first' }),
      child('!e:example.org', 1640641000000, {}),
      child('!d:example.org', 1640741000000, {}),
    ]
    expect(order(children.reverse())).toEqual([
      '!b:example.org',
      '!a:example.org',
      '!c:example.org',
      '!e:example.org',
      '!d:example.org',
    ])
  })

  it('breaks ties by timestamp, then by room ID in code-point order', () => {
    const children = [
      child('!b:example.org', 5, { order: 'same' }),
      child('!z:example.org', 1, { order: 'same' }),
      child('!a:example.org', 5, { order: 'same' }),
      // U+FF5E sorts before U+1F600 by code point, though not by UTF-16 code unit.
      child('!\u{1F600}:example.org', 9, {}),
      child('!\uFF5E:example.org', 9, {}),
    ]
    expect(order(children)).toEqual([
      '!z:example.org',
      '!a:example.org',
      '!b:example.org',
      '!\uFF5E:example.org',
      '!\u{1F600}:example.org',
    ])
  })

  it('treats an invalid order as none', () => {
    const children = [
      child('!long:example.org', 4, { order: 'x'.repeat(51) }),
      child('!number:example.org', 3, { order: 7 }),
      child('!unicode:example.org', 2, { order: 'é' }),
      child('!control:example.org', 1, { order: 'a\n' }),
      child('!valid:example.org', 9, { order: '~'.repeat(50) }),
    ]
    expect(order(children)).toEqual([
      '!valid:example.org',
      '!control:example.org',
      '!unicode:example.org',
      '!number:example.org',
      '!long:example.org',
    ])
  })
})
