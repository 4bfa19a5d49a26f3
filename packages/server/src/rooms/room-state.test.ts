import { describe, expect, it } from 'vitest'
import { membershipMatches } from './room-state.js'

describe('membershipMatches', () => {
  it('applies membership, not_membership, and either of both', () => {
    expect(membershipMatches('join', {})).toBe(true)
    expect(membershipMatches(undefined, {})).toBe(false)
    expect(membershipMatches('join', { membership: 'join' })).toBe(true)
    expect(membershipMatches('leave', { membership: 'join' })).toBe(false)
    expect(membershipMatches('leave', { notMembership: 'join' })).toBe(true)
    expect(membershipMatches('join', { notMembership: 'join' })).toBe(false)
    expect(membershipMatches('join', { membership: 'join', notMembership: 'join' })).toBe(true)
    expect(membershipMatches('ban', { membership: 'join', notMembership: 'join' })).toBe(true)
    expect(membershipMatches('invite', { membership: 'join', notMembership: 'invite' })).toBe(false)
  })
})
