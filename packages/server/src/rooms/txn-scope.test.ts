import type { EventId, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { clientTxnId, scopedTxnId } from './txn-scope.js'

const room = '!a:example.org' as RoomId

describe('scopedTxnId', () => {
  it('tells endpoints, rooms and event types apart, and gives the client ID back', () => {
    const keys = [
      scopedTxnId({ endpoint: 'send', roomId: room, eventType: 'm.room.message' }, 't'),
      scopedTxnId({ endpoint: 'send', roomId: room, eventType: 'm.reaction' }, 't'),
      scopedTxnId(
        { endpoint: 'send', roomId: '!b:example.org' as RoomId, eventType: 'm.reaction' },
        't',
      ),
      scopedTxnId({ endpoint: 'redact', roomId: room, eventId: '$e' as EventId }, 't'),
    ]
    expect(new Set(keys).size).toBe(4)
    for (const key of keys) expect(clientTxnId(key)).toBe('t')
  })

  it('cannot be confused by separators in the parts', () => {
    const a = scopedTxnId({ endpoint: 'send', roomId: room, eventType: 'a","b' }, 'c')
    const b = scopedTxnId({ endpoint: 'send', roomId: room, eventType: 'a' }, 'b","c')
    expect(a).not.toBe(b)
    expect(clientTxnId(b)).toBe('b","c')
  })

  it.each(['', 'plain', '[1,2,3,4]', '["a","b","c"]', '{"x":1}'])(
    'gives nothing for a key it did not make: %s',
    (raw) => {
      expect(clientTxnId(raw)).toBeUndefined()
    },
  )
})
