import { describe, expect, it } from 'vitest'
import type { EventView } from './timelineItems'
import { isEditable, lastEditable } from './timelineViews'

function view(key: string, senderId: string, extra: Partial<EventView> = {}): EventView {
  return {
    key,
    eventId: key,
    senderId,
    senderName: senderId,
    timestamp: 0,
    kind: 'message',
    body: key,
    ...extra,
  }
}

describe('lastEditable', () => {
  it("finds the user's newest sent text message", () => {
    const views = [
      view('$1', '@me:hs'),
      view('$2', '@me:hs'),
      view('$3', '@other:hs'),
      view('$4', '@me:hs', { media: { kind: 'image', name: 'a.png', url: 'mxc://hs/a' } }),
      view('$5', '@me:hs', { kind: 'deleted' }),
    ]
    expect(lastEditable(views, '@me:hs')?.key).toBe('$2')
    expect(lastEditable(views, '@nobody:hs')).toBeUndefined()
  })

  it('skips messages the server has not accepted yet', () => {
    const { eventId: _unsent, ...unsent } = view('~1', '@me:hs')
    expect(isEditable(unsent, '@me:hs')).toBe(false)
    expect(isEditable(view('$1', '@me:hs', { emote: true }), '@me:hs')).toBe(false)
  })
})
