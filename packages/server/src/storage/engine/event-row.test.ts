import { canonicalJson } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { pdu } from '../../../../core/src/testing/pdu-fixtures.js'
import { storedEventFromRow, type EventRow } from './event-row.js'

const event = pdu({
  id: 'E1',
  type: 'm.room.message',
  sender: '@a:x',
  content: { body: 'hi' },
  prev: ['P'],
})

function row(overrides: Partial<EventRow> = {}): EventRow {
  return {
    event_id: event.eventId,
    json: canonicalJson(event.json),
    room_version: '12',
    stream_position: 7,
    rejection_reason: null,
    redacted_by: null,
    state_group_before: 3,
    state_group_after: 3,
    ...overrides,
  }
}

describe('storedEventFromRow', () => {
  it('gives the typed view, the stored bytes and the bookkeeping columns', () => {
    const stored = storedEventFromRow(row())
    expect(stored.pdu.eventId).toBe(event.eventId)
    expect(stored.pdu.content).toEqual({ body: 'hi' })
    expect(stored.pdu.prevEvents).toEqual(['$P'])
    expect(stored.json).toBe(canonicalJson(event.json))
    expect(stored.streamPosition).toBe(7)
    expect(stored.rejectionReason).toBeUndefined()
    expect(stored.redactedBy).toBeUndefined()
    expect(stored.stateGroupBefore).toBe(3)
  })

  it('maps NULL columns to undefined and keeps the others', () => {
    const stored = storedEventFromRow(
      row({
        stream_position: null,
        rejection_reason: 'auth',
        redacted_by: '$R',
        state_group_after: null,
      }),
    )
    expect(stored.streamPosition).toBeUndefined()
    expect(stored.rejectionReason).toBe('auth')
    expect(stored.redactedBy).toBe('$R')
    expect(stored.stateGroupAfter).toBeUndefined()
  })

  it('throws on a damaged row (a bug, not input)', () => {
    expect(() => storedEventFromRow(row({ room_version: 'nope' }))).toThrow(/unknown version/)
    expect(() => storedEventFromRow(row({ json: '[1]' }))).toThrow(/not a JSON object/)
  })
})
