import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId, pdu } from '../testing/pdu-fixtures.js'
import { eventSourceOf, randomAuthDag } from '../testing/state-res-dag.js'
import { authChain } from './auth-chain.js'
import { conflictedSubgraph } from './conflicted-subgraph.js'

const V10 = roomVersionRules('10')!
const ids = (...names: string[]) => new Set(names.map(eventId))
const node = (id: string, auth: string[] = []) =>
  pdu({ id, type: 't', sender: '@a:x', stateKey: id, auth })

describe('conflictedSubgraph', () => {
  // A <- B <- C <- D, and A <- X: X hangs off the path without leading to another conflict.
  const events = [node('A'), node('B', ['A']), node('C', ['B']), node('D', ['C']), node('X', ['A'])]

  it('holds every event on an auth path between two conflicted events', () => {
    const source = eventSourceOf(events, V10)
    expect(conflictedSubgraph(ids('D', 'A'), source)).toEqual({
      ok: true,
      value: ids('A', 'B', 'C', 'D'),
    })
    expect(conflictedSubgraph(ids('D', 'B'), source)).toEqual({
      ok: true,
      value: ids('B', 'C', 'D'),
    })
  })

  it('holds just the conflicted events when no path joins them', () => {
    const source = eventSourceOf(events, V10)
    expect(conflictedSubgraph(ids('D', 'X'), source)).toEqual({ ok: true, value: ids('D', 'X') })
    expect(conflictedSubgraph(new Set(), source)).toEqual({ ok: true, value: new Set() })
  })

  it('reports a missing event as M_NOT_FOUND', () => {
    const result = conflictedSubgraph(
      ids('D', 'A'),
      eventSourceOf(
        events.filter((e) => e.eventId !== '$B'),
        V10,
      ),
    )
    expect(result.ok ? '' : `${result.error.errcode} ${result.error.error}`).toMatch(
      /M_NOT_FOUND.*\$B/,
    )
    const start = conflictedSubgraph(ids('Q'), eventSourceOf(events, V10))
    expect(start.ok).toBe(false)
  })

  it('cuts auth cycles instead of hanging', () => {
    const cyclic = [node('P', ['Q']), node('Q', ['P', 'R']), node('R')]
    expect(conflictedSubgraph(ids('P', 'R'), eventSourceOf(cyclic, V10))).toEqual({
      ok: true,
      value: ids('P', 'Q', 'R'),
    })
  })

  it('handles a chain 50,000 events deep', () => {
    const chain = [node('N0')]
    for (let i = 1; i < 50_000; i++) chain.push(node(`N${i}`, [`N${i - 1}`]))
    const result = conflictedSubgraph(ids('N49999', 'N0'), eventSourceOf(chain, V10))
    expect(result.ok && result.value.size).toBe(50_000)
  })

  it('equals the union of paths between pairs, on random DAGs', () => {
    fc.assert(
      fc.property(
        randomAuthDag(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        ({ events: dag }, picks) => {
          const source = eventSourceOf(dag, V10)
          const conflicted = new Set(picks.map((n) => dag[n % dag.length]!.eventId))
          const below = (id: EventId) => {
            const chain = authChain(id, source)
            if (!chain.ok) throw new Error('fixture is closed')
            return new Set([id, ...chain.value])
          }
          const expected = new Set<EventId>()
          for (const from of conflicted) {
            for (const x of below(from)) {
              const reach = below(x)
              if ([...conflicted].some((to) => reach.has(to))) expected.add(x)
            }
          }
          expect(conflictedSubgraph(conflicted, source)).toEqual({ ok: true, value: expected })
        },
      ),
      { numRuns: 200 },
    )
  })
})
