import { describe, expect, it } from 'vitest'
import { dayLabel, withDaySeparators, type EventView } from './timelineItems'

function event(key: string, timestamp: number): EventView {
  return { key, senderId: '@a:hs', senderName: 'A', timestamp, kind: 'message', body: key }
}

const now = new Date(2026, 10, 28, 15, 0).getTime()

describe('withDaySeparators', () => {
  it('starts each day with one separator', () => {
    const events = [
      event('e1', new Date(2026, 10, 20, 9, 0).getTime()),
      event('e2', new Date(2026, 10, 27, 23, 59).getTime()),
      event('e3', new Date(2026, 10, 28, 0, 1).getTime()),
      event('e4', new Date(2026, 10, 28, 14, 0).getTime()),
    ]
    const items = withDaySeparators(events, now, 'en-GB')
    const labels = items.map((item) => (item.type === 'day' ? item.label : item.event.key))
    // ICU versions differ on the comma after the weekday.
    expect(labels[0]).toMatch(/^Friday,? 20 November 2026$/)
    expect(labels.slice(1)).toEqual(['e1', 'Yesterday', 'e2', 'Today', 'e3', 'e4'])
  })

  it('has nothing to separate in an empty timeline', () => {
    expect(withDaySeparators([], now)).toEqual([])
  })

  it('labels days relative to now', () => {
    expect(dayLabel(now - 60_000, now)).toBe('Today')
  })
})
