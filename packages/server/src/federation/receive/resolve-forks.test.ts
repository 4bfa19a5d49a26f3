import { roomVersionRules, StateMap, type EventId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { resolveForks } from './resolve-forks.js'

const rules = roomVersionRules('12')
const create = '$create' as EventId
const topic = '$topic' as EventId

/** Groups 1 and 2 hold the same state; 3 another. Loading events is not allowed. */
const storage = {
  state: {
    loadState: (group: number) =>
      Promise.resolve(
        new StateMap<EventId>([
          ['m.room.create', '', create],
          ...(group === 3 ? [['m.room.topic', '', topic] as const] : []),
        ]),
      ),
    groupInfo: () => Promise.resolve(undefined),
  },
  events: {
    getEvents: () => Promise.reject(new Error('events were loaded')),
  },
} as unknown as Parameters<typeof resolveForks>[0]

describe('resolveForks', () => {
  it('takes branches that agree on the state as they are, loading no event', async () => {
    if (rules === undefined) throw new Error('no version')
    const resolved = await resolveForks(storage, rules, [1, 2, 1])
    expect(resolved.ok && [...resolved.value]).toEqual([['m.room.create', '', create]])
  })

  it('resolves branches that disagree, which needs their events', async () => {
    if (rules === undefined) throw new Error('no version')
    await expect(resolveForks(storage, rules, [1, 3])).rejects.toThrow('events were loaded')
  })
})
