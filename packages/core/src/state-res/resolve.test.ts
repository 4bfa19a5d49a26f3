import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Pdu } from '../events/pdu.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { eventId } from '../testing/pdu-fixtures.js'
import { seededRandom } from '../testing/sample-events.js'
import {
  ALICE,
  BOB,
  CHARLIE,
  EVELYN,
  RoomDag,
  ZARA,
  largeRoomFork,
} from '../testing/state-res-dag.js'
import { authChain } from './auth-chain.js'
import { EventSource } from './event-source.js'
import { resolveState } from './resolve.js'

const V1 = roomVersionRules('1')!
const V10 = roomVersionRules('10')!
const V12 = roomVersionRules('12')!
const USERS = [ALICE, BOB, CHARLIE, EVELYN, ZARA]

const entries = (state: ReadonlyStateMap<EventId>) =>
  [...state].map(([t, k, v]) => `${t}|${k}|${v}`).sort()

function resolved(
  stateSets: readonly ReadonlyStateMap<EventId>[],
  fetch: (id: EventId) => Pdu | undefined,
  rules: RoomVersionRules,
): StateMap<EventId> {
  const result = resolveState(stateSets, fetch, rules)
  if (!result.ok) throw new Error(result.error.error)
  return result.value
}

describe.each([V1, V10, V12].map((rules) => [rules.id, rules] as const))(
  'resolveState in room v%s',
  (_, rules) => {
    it('returns an empty state for no state sets', () => {
      expect(resolveState([], () => undefined, rules)).toEqual({ ok: true, value: new StateMap() })
    })

    it('returns a lone state set, or identical ones, unchanged without fetching anything', () => {
      const dag = new RoomDag(rules, resolveState).openRoom()
      const state = dag.stateAfter('IMZ')
      let fetches = 0
      const counting = (id: EventId) => {
        fetches++
        return dag.fetch(id)
      }
      expect(entries(resolved([state], counting, rules))).toEqual(entries(state))
      expect(entries(resolved([state, state.clone(), state], counting, rules))).toEqual(
        entries(state),
      )
      // v2 needs no event when nothing is conflicted; v1 neither.
      expect(fetches).toBe(0)
    })

    it('reports a missing conflicted or auth event as M_NOT_FOUND, never a throw', () => {
      const dag = new RoomDag(rules, resolveState).openRoom()
      dag.add({
        id: 'T1',
        type: 'm.room.topic',
        sender: ALICE,
        stateKey: '',
        content: { topic: 'a' },
      })
      dag.add({
        id: 'T2',
        type: 'm.room.topic',
        sender: ALICE,
        stateKey: '',
        content: { topic: 'b' },
        prev: ['IMZ'],
      })
      const sets = [dag.stateAfter('T1'), dag.stateAfter('T2')]
      for (const missing of ['T2', 'IPOWER', 'CREATE']) {
        const result = resolveState(
          sets,
          (id) => (id === eventId(missing) ? undefined : dag.fetch(id)),
          rules,
        )
        expect(result).toEqual({
          ok: false,
          error: {
            errcode: 'M_NOT_FOUND',
            error: `state resolution needs event $${missing}, which is missing`,
          },
        })
      }
    })

    it('survives malformed content without throwing', () => {
      const dag = new RoomDag(rules, resolveState).openRoom()
      dag.add({
        id: 'BADPL',
        type: 'm.room.power_levels',
        sender: ALICE,
        stateKey: '',
        content: { users: 'everyone', users_default: 'lots', events: [1, 2] },
      })
      dag.add({
        id: 'BADM',
        type: 'm.room.member',
        sender: BOB,
        stateKey: BOB,
        content: { membership: 42 },
      })
      dag.add({
        id: 'BADJR',
        type: 'm.room.join_rules',
        sender: ALICE,
        stateKey: '',
        content: { join_rule: null },
        prev: ['IMZ'],
      })
      const result = resolveState(
        [dag.stateAfter('BADM'), dag.stateAfter('BADJR')],
        dag.fetch,
        rules,
      )
      expect(result.ok).toBe(true)
    })

    it('does not depend on the order of the state sets, their entries or auth events', () => {
      fc.assert(
        fc.property(randomHistory(), fc.nat(), (actions, seed) => {
          const dag = buildHistory(rules, actions)
          const sets = dag.tips.map((tip) => dag.stateAfter(tip))
          const expected = entries(resolved(sets, dag.fetch, rules))

          const random = seededRandom(seed)
          const shuffledSets = shuffle(sets, random).map(
            (set) => new StateMap(shuffle([...set], random)),
          )
          const shuffledEvents = new Map<EventId, Pdu>()
          for (const [id, event] of dag.events) {
            shuffledEvents.set(id, { ...event, authEvents: shuffle(event.authEvents, random) })
          }
          const again = resolved(shuffledSets, (id) => shuffledEvents.get(id), rules)
          expect(entries(again)).toEqual(expected)

          // Every unconflicted entry survives; a lone set and identical sets come back unchanged.
          const [first] = sets
          if (first === undefined) return
          for (const [type, stateKey, id] of first) {
            if (sets.every((set) => set.get(type, stateKey) === id)) {
              expect(again.get(type, stateKey)).toBe(id)
            }
          }
          expect(entries(resolved([first], dag.fetch, rules))).toEqual(entries(first))
          expect(entries(resolved([first, first.clone()], dag.fetch, rules))).toEqual(
            entries(first),
          )
        }),
        { numRuns: 60 },
      )
    })
  },
)

describe('resolveState at scale', () => {
  it.each([V1, V10, V12].map((rules) => [rules.id, rules] as const))(
    'resolves two forks of a room with 5,000 members in room v%s',
    (_, rules) => {
      const room = largeRoomFork(rules, 5000)
      const state = resolved(room.forks, room.fetch, rules)
      expect(state.size).toBe(5000 + 1 + 3 + 3 + 2)
      for (const [key, id] of room.expected) {
        const [type = '', stateKey = ''] = key.split('|')
        // v1 has no power events: the deeper power levels (PB, on the longer fork B) wins there too.
        expect(state.get(type, stateKey)).toBe(id)
      }
    },
  )
})

describe('resolveState options', () => {
  it('never uses an event the caller marks as rejected as an auth event', () => {
    // PBAD (rejected) would give Bob the power that his topic T needs.
    const dag = new RoomDag(V10, resolveState).openRoom()
    dag.add({
      id: 'PBAD',
      type: 'm.room.power_levels',
      sender: ALICE,
      stateKey: '',
      content: { users: { [ALICE]: 100, [BOB]: 50 } },
    })
    dag.add({ id: 'T', type: 'm.room.topic', sender: BOB, stateKey: '', content: { topic: 't' } })
    dag.add({ id: 'M', type: 'm.room.message', sender: ZARA, content: {}, prev: ['IMZ'] })
    const sets = [dag.stateAfter('T'), dag.stateAfter('M')]
    const trusting = resolveState(sets, dag.fetch, V10)
    expect(trusting.ok && trusting.value.get('m.room.topic', '')).toBe('$T')
    const careful = resolveState(sets, dag.fetch, V10, { isRejected: (id) => id === '$PBAD' })
    expect(careful.ok && careful.value.get('m.room.topic', '')).toBeUndefined()
  })

  it('passes authCheckOptions to the auth rules', () => {
    const dag = new RoomDag(V10, resolveState).openRoom()
    dag.add({
      id: 'JR',
      type: 'm.room.join_rules',
      sender: ALICE,
      stateKey: '',
      content: {
        join_rule: 'restricted',
        allow: [{ type: 'm.room_membership', room_id: '!other:example.org' }],
      },
    })
    dag.add({
      id: 'JE',
      type: 'm.room.member',
      sender: EVELYN,
      stateKey: EVELYN,
      content: { membership: 'join', join_authorised_via_users_server: ALICE },
    })
    dag.add({ id: 'M', type: 'm.room.message', sender: ZARA, content: {}, prev: ['JR'] })
    const sets = [dag.stateAfter('JE'), dag.stateAfter('M')]
    // The fixture events carry no signatures, so by default the join is not authorised...
    const unsigned = resolveState(sets, dag.fetch, V10)
    expect(unsigned.ok && unsigned.value.get('m.room.member', EVELYN)).toBeUndefined()
    // ...unless the caller's signature check vouches for it.
    const vouched = resolveState(sets, dag.fetch, V10, {
      authCheckOptions: { isSignedBy: () => true },
    })
    expect(vouched.ok && vouched.value.get('m.room.member', EVELYN)).toBe('$JE')
  })

  it.each([V10, V12].map((rules) => [rules.id, rules] as const))(
    'gives the same result with precomputed auth chains in room v%s',
    (_, rules) => {
      fc.assert(
        fc.property(randomHistory(), (actions) => {
          const dag = buildHistory(rules, actions)
          const sets = dag.tips.map((tip) => dag.stateAfter(tip))
          const walker = new EventSource(dag.fetch, rules)
          const chains = new Map<EventId, ReadonlySet<EventId>>()
          for (const id of dag.events.keys()) {
            const chain = authChain(id, walker)
            if (chain.ok) chains.set(id, chain.value)
          }
          const hinted = resolveState(sets, dag.fetch, rules, { authChain: (id) => chains.get(id) })
          expect(hinted.ok && entries(hinted.value)).toEqual(
            entries(resolved(sets, dag.fetch, rules)),
          )
        }),
        { numRuns: 30 },
      )
    },
  )
})

describe('resolveState with events missing', () => {
  it.each([V1, V10, V12].map((rules) => [rules.id, rules] as const))(
    'returns M_NOT_FOUND naming the missing event, or a result if it was not needed (room v%s)',
    (_, rules) => {
      fc.assert(
        fc.property(randomHistory(), fc.boolean(), fc.nat(), (actions, hinted, pick) => {
          const dag = buildHistory(rules, actions)
          const sets = dag.tips.map((tip) => dag.stateAfter(tip))
          const ids = [...dag.events.keys()]
          const missing = ids[pick % ids.length]
          const walker = new EventSource(dag.fetch, rules)
          // With precomputed chains the walk is skipped, so later steps meet the gap instead.
          const options = hinted
            ? {
                authChain: (id: EventId) => {
                  const chain = authChain(id, walker)
                  return chain.ok ? chain.value : undefined
                },
              }
            : {}
          const result = resolveState(
            sets,
            (id) => (id === missing ? undefined : dag.fetch(id)),
            rules,
            options,
          )
          if (!result.ok) {
            expect(result.error).toEqual({
              errcode: 'M_NOT_FOUND',
              error: `state resolution needs event ${missing}, which is missing`,
            })
          }
        }),
        { numRuns: 150 },
      )
    },
  )
})

interface Action {
  readonly fork: number
  readonly kind: 'topic' | 'join' | 'leave' | 'ban' | 'kick' | 'pl' | 'jr' | 'merge'
  readonly sender: number
  readonly target: number
  readonly level: number
  readonly ts: number
}

function randomHistory(): fc.Arbitrary<Action[]> {
  return fc.array(
    fc.record({
      fork: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom('topic', 'join', 'leave', 'ban', 'kick', 'pl', 'jr', 'merge'),
      sender: fc.integer({ min: 0, max: USERS.length - 1 }),
      target: fc.integer({ min: 0, max: USERS.length - 1 }),
      level: fc.constantFrom(0, 50, 100),
      // Few distinct timestamps, so the tie-breaks get exercised.
      ts: fc.integer({ min: 100, max: 104 }),
    }),
    { minLength: 1, maxLength: 14 },
  )
}

/** A room whose events go to three forks, which merge now and then; `tips` are the fork heads. */
function buildHistory(rules: RoomVersionRules, actions: readonly Action[]) {
  const dag = new RoomDag(rules, resolveState).openRoom()
  const tips = ['IMZ', 'IMZ', 'IMZ']
  actions.forEach((action, index) => {
    const id = `A${index}`
    const tip = tips[action.fork] ?? 'IMZ'
    const sender = USERS[action.sender] ?? ALICE
    const target = USERS[action.target] ?? BOB
    const common = { id, sender, prev: [tip], ts: action.ts }
    switch (action.kind) {
      case 'merge': {
        const other = tips[(action.fork + 1) % 3] ?? 'IMZ'
        dag.add({ ...common, type: 'm.room.message', prev: other === tip ? [tip] : [tip, other] })
        break
      }
      case 'topic':
        dag.add({ ...common, type: 'm.room.topic', stateKey: '', content: { topic: id } })
        break
      case 'join':
      case 'leave':
        dag.add({
          ...common,
          type: 'm.room.member',
          stateKey: sender,
          content: { membership: action.kind },
        })
        break
      case 'ban':
      case 'kick':
        dag.add({
          ...common,
          type: 'm.room.member',
          stateKey: target,
          content: { membership: action.kind === 'ban' ? 'ban' : 'leave' },
        })
        break
      case 'pl':
        dag.add({
          ...common,
          type: 'm.room.power_levels',
          stateKey: '',
          content: dag.powerLevels({ [ALICE]: 100, [target]: action.level }),
        })
        break
      case 'jr':
        dag.add({
          ...common,
          type: 'm.room.join_rules',
          stateKey: '',
          content: { join_rule: action.level === 0 ? 'invite' : 'public' },
        })
        break
    }
    tips[action.fork] = id
  })
  return Object.assign(dag, { tips: [...new Set(tips)] })
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}
