import { describe, expect, it } from 'vitest'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { ALICE, BOB, CAROL, RoomFixture } from '../testing/auth-fixtures.js'
import { creators } from './creators.js'

const V10 = roomVersionRules('10')!
const V11 = roomVersionRules('11')!
const V12 = roomVersionRules('12')!

describe('creators', () => {
  it('v1-v10: content.creator, not the sender', () => {
    const create = new RoomFixture(V10).createEvent({ content: { creator: BOB } })
    expect([...creators(create, V10)]).toEqual([BOB])
  })

  it('v1-v10: no creator when content.creator is missing or not a user ID', () => {
    const r = new RoomFixture(V10)
    expect(creators(r.createEvent({ omitCreator: true }), V10).size).toBe(0)
    expect(creators(r.createEvent({ content: { creator: 'bob' } }), V10).size).toBe(0)
    expect(creators(r.createEvent({ content: { creator: 7 } }), V10).size).toBe(0)
  })

  it('v11: the sender, whatever content.creator says', () => {
    const create = new RoomFixture(V11).createEvent({ content: { creator: BOB } })
    expect([...creators(create, V11)]).toEqual([ALICE])
  })

  it('v12: the sender and every valid additional creator', () => {
    const create = new RoomFixture(V12).createEvent({
      content: { additional_creators: [BOB, 'nobody', 5, CAROL, BOB] },
    })
    expect([...creators(create, V12)]).toEqual([ALICE, BOB, CAROL])
    const malformed = new RoomFixture(V12).createEvent({ content: { additional_creators: BOB } })
    expect([...creators(malformed, V12)]).toEqual([ALICE])
  })

  it('computes the set once per create event', () => {
    const create = new RoomFixture(V12).create
    expect(creators(create, V12)).toBe(creators(create, V12))
  })
})
