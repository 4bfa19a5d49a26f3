import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../interface.js'
import { timelinePage } from './timeline-page.js'

const at = (streamPosition: number | undefined): StoredEvent =>
  ({ streamPosition }) as unknown as StoredEvent

describe('timelinePage', () => {
  it('continues after the last event going forwards', () => {
    const page = timelinePage([at(3), at(5), at(6)], { direction: 'f', limit: 2 })
    expect(page.events).toEqual([at(3), at(5)])
    expect(page.next).toBe(5)
  })

  it('continues just below the last event going backwards', () => {
    expect(timelinePage([at(9), at(7), at(2)], { direction: 'b', limit: 2 }).next).toBe(6)
  })

  it('has no token when nothing follows', () => {
    expect(timelinePage([at(3), at(4)], { direction: 'f', limit: 2 })).toEqual({
      events: [at(3), at(4)],
      next: undefined,
    })
    expect(timelinePage([], { direction: 'b', limit: 0 })).toEqual({ events: [], next: undefined })
  })

  it('has no token when the last event is not in the stream', () => {
    expect(timelinePage([at(undefined), at(1)], { direction: 'f', limit: 1 }).next).toBeUndefined()
  })

  it('a zero limit with events following gives an empty page and no token', () => {
    expect(timelinePage([at(1)], { direction: 'f', limit: 0 })).toEqual({
      events: [],
      next: undefined,
    })
  })
})
