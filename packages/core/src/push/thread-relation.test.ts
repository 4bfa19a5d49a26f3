import type { JsonObject } from '../json/json.js'
import { describe, expect, it } from 'vitest'
import { MAIN_THREAD, threadOf, threadStep } from './thread-relation.js'

const inThread = (root: string): JsonObject => ({
  body: 'x',
  'm.relates_to': { rel_type: 'm.thread', event_id: root },
})
const relatedTo = (parent: string, relType = 'm.annotation'): JsonObject => ({
  'm.relates_to': { rel_type: relType, event_id: parent, key: '👍' },
})

describe('threadStep', () => {
  it('reads the event’s own relation', () => {
    expect(threadStep({ body: 'plain' })).toEqual({ kind: 'main' })
    expect(threadStep(inThread('$A'))).toEqual({ kind: 'thread', rootId: '$A' })
    expect(threadStep(relatedTo('$B'))).toEqual({ kind: 'parent', eventId: '$B' })
  })

  it('treats malformed relations as none', () => {
    for (const content of [
      { 'm.relates_to': 'x' },
      { 'm.relates_to': { rel_type: 'm.thread' } },
      { 'm.relates_to': { rel_type: 'm.thread', event_id: '' } },
      { 'm.relates_to': { event_id: '$A' } },
      { 'm.relates_to': { 'm.in_reply_to': { event_id: '$A' } } },
    ]) {
      expect(threadStep(content), JSON.stringify(content)).toEqual({ kind: 'main' })
    }
  })
})

describe('threadOf', () => {
  // The spec's DAG: A and B are thread roots; C, E in thread A; F in thread B; D, I in main.
  const events: Record<string, JsonObject> = {
    $A: { body: 'A' },
    $B: { body: 'B' },
    $C: inThread('$A'),
    $D: { body: 'D' },
    $E: inThread('$A'),
    $F: inThread('$B'),
    $I: { body: 'I' },
    $reactionToE: relatedTo('$E'),
    $editOfReaction: relatedTo('$reactionToE', 'm.replace'),
    $hop3: relatedTo('$editOfReaction', 'm.reference'),
    $hop4: relatedTo('$hop3', 'm.reference'),
    $reactionToRoot: relatedTo('$A'),
    $dangling: relatedTo('$unknown'),
  }
  const lookup = (id: string): JsonObject | undefined => events[id]
  const of = (id: string): string => threadOf(events[id] ?? {}, lookup)

  it('places thread events in their root’s thread and roots in the main timeline', () => {
    expect(of('$C')).toBe('$A')
    expect(of('$E')).toBe('$A')
    expect(of('$F')).toBe('$B')
    expect(of('$A')).toBe(MAIN_THREAD)
    expect(of('$I')).toBe(MAIN_THREAD)
  })

  it('follows other relations to the parent’s thread, up to three hops', () => {
    expect(of('$reactionToE')).toBe('$A')
    expect(of('$editOfReaction')).toBe('$A')
    expect(of('$hop3')).toBe('$A')
    expect(of('$hop4')).toBe(MAIN_THREAD)
    // Related to a root through a non-thread relation: main timeline.
    expect(of('$reactionToRoot')).toBe(MAIN_THREAD)
    expect(of('$dangling')).toBe(MAIN_THREAD)
  })
})
