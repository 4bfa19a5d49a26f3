import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { addEphemeral } from './ephemeral-section.js'
import type { JoinedRoom } from './sync-response.js'

const A = '!a:x' as RoomId
const B = '!b:x' as RoomId
const C = '!c:x' as RoomId
const quiet = (): JoinedRoom => ({ timeline: { events: [], limited: false } })
const typing = { type: 'm.typing', content: { user_ids: ['@u:x'] } }
const receipt = { type: 'm.receipt', content: {} }

describe('addEphemeral', () => {
  it('adds to rooms in the response, adds quiet rooms, and merges kinds', () => {
    const join: Record<RoomId, JoinedRoom> = {
      [A]: { timeline: { events: [], limited: true }, account_data: { events: [] } },
    }
    addEphemeral(
      join,
      [A, B, C],
      new Map([
        [A, [typing]],
        [B, [typing]],
        [C, []],
      ]),
      quiet,
    )
    addEphemeral(join, [A, B, C], new Map([[A, [receipt]]]), quiet)
    expect(join[A]).toEqual({
      timeline: { events: [], limited: true },
      account_data: { events: [] },
      ephemeral: { events: [typing, receipt] },
    })
    expect(join[B]).toEqual({ ...quiet(), ephemeral: { events: [typing] } })
    // Nothing to say: no entry.
    expect(join[C]).toBeUndefined()
  })

  it('leaves out rooms that may not appear', () => {
    const join: Record<RoomId, JoinedRoom> = {}
    addEphemeral(join, [A], new Map([[B, [typing]]]), quiet)
    expect(join).toEqual({})
  })
})
