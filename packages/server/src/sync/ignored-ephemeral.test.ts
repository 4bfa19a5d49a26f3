import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { withoutIgnored } from './ignored-ephemeral.js'
import type { EphemeralEvent } from './sync-response.js'

const one = '!one:test' as RoomId
const two = '!two:test' as RoomId
const spam = '@spam:test' as UserId

describe('withoutIgnored', () => {
  it('is the same map when nobody is ignored', () => {
    const events = new Map<RoomId, EphemeralEvent[]>([[one, []]])
    expect(withoutIgnored(events, new Set())).toBe(events)
  })

  it('takes ignored users out of typing lists, keeping an emptied list (it is news)', () => {
    const events = new Map<RoomId, EphemeralEvent[]>([
      [one, [{ type: 'm.typing', content: { user_ids: ['@a:test', spam] } }]],
      [two, [{ type: 'm.typing', content: { user_ids: [spam] } }]],
    ])
    expect(withoutIgnored(events, new Set([spam]))).toEqual(
      new Map([
        [one, [{ type: 'm.typing', content: { user_ids: ['@a:test'] } }]],
        [two, [{ type: 'm.typing', content: { user_ids: [] } }]],
      ]),
    )
  })

  it('takes their receipts out, dropping what is left empty', () => {
    const events = new Map<RoomId, EphemeralEvent[]>([
      [
        one,
        [
          {
            type: 'm.receipt',
            content: {
              $e1: { 'm.read': { [spam]: { ts: 1 }, '@a:test': { ts: 2 } } },
              $e2: { 'm.read': { [spam]: { ts: 3 } }, 'm.read.private': { [spam]: { ts: 4 } } },
            },
          },
        ],
      ],
      [two, [{ type: 'm.receipt', content: { $e3: { 'm.read': { [spam]: { ts: 5 } } } } }]],
    ])
    expect(withoutIgnored(events, new Set([spam]))).toEqual(
      new Map([
        [one, [{ type: 'm.receipt', content: { $e1: { 'm.read': { '@a:test': { ts: 2 } } } } }]],
      ]),
    )
  })
})
