import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { TypingStore } from '../storage/typing-store.js'
import { DEFAULT_SYNC_FILTER, parseSyncFilter, type SyncFilter } from './filter/sync-filter.js'
import { typingEvents } from './typing-sync.js'

const A = '!a:x' as RoomId
const B = '!b:x' as RoomId
const C = '!c:x' as RoomId
const u = '@u:x' as UserId

/** A store that answers from a fixed table and records its calls. */
function store(answer: Record<string, readonly UserId[]>): TypingStore & { calls: unknown[][] } {
  const calls: unknown[][] = []
  return {
    calls,
    setTyping: () => Promise.resolve(undefined),
    expire: () => Promise.resolve([]),
    nextExpiry: () => Promise.resolve(undefined),
    typingSince: (roomIds, since, upTo, now) => {
      calls.push([roomIds, since, upTo, now])
      const out = new Map<RoomId, readonly UserId[]>()
      for (const roomId of roomIds) {
        const users = answer[roomId]
        if (users !== undefined && (since !== undefined || users.length > 0)) {
          out.set(roomId, users)
        }
      }
      return Promise.resolve(out)
    },
  }
}

function filter(json: object): SyncFilter {
  const parsed = parseSyncFilter(json as never)
  if (!parsed.ok) throw new Error(parsed.error.error)
  return parsed.value
}

const deps = (typing: TypingStore) => ({ storage: { typing }, now: () => 42 })

describe('typingEvents', () => {
  it('reads changes for known rooms and current typers for new ones', async () => {
    const typing = store({ [A]: [u], [B]: [], [C]: [u] })
    const out = await typingEvents(
      deps(typing),
      { since: 5, upTo: 9, filter: DEFAULT_SYNC_FILTER },
      [A, B, C],
      new Set([C]),
    )
    expect(out).toEqual(
      new Map([
        [A, [{ type: 'm.typing', content: { user_ids: [u] } }]],
        [B, [{ type: 'm.typing', content: { user_ids: [] } }]],
        [C, [{ type: 'm.typing', content: { user_ids: [u] } }]],
      ]),
    )
    expect(typing.calls).toEqual([
      [[A, B], 5, 9, 42],
      [[C], undefined, 9, 42],
    ])
  })

  it('an initial sync reads current typers of every room once', async () => {
    const typing = store({ [A]: [u], [B]: [] })
    const out = await typingEvents(
      deps(typing),
      { since: undefined, upTo: 9, filter: DEFAULT_SYNC_FILTER },
      [A, B],
      new Set(),
    )
    expect([...out.keys()]).toEqual([A])
    expect(typing.calls).toEqual([[[A, B], undefined, 9, 42]])
  })

  it('follows the ephemeral filter and reads nothing it excludes', async () => {
    const typing = store({ [A]: [u], [B]: [u] })
    const notA = filter({ room: { ephemeral: { not_rooms: [A] } } })
    const out = await typingEvents(
      deps(typing),
      { since: 1, upTo: 2, filter: notA },
      [A, B],
      new Set(),
    )
    expect([...out.keys()]).toEqual([B])
    const none = store({ [A]: [u] })
    const noTyping = filter({ room: { ephemeral: { types: ['m.receipt'] } } })
    expect(
      await typingEvents(deps(none), { since: 1, upTo: 2, filter: noTyping }, [A], new Set()),
    ).toEqual(new Map())
    expect(none.calls).toEqual([])
  })
})
