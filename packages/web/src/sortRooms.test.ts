import { describe, expect, it } from 'vitest'
import { filterRooms, sortRooms, type RoomSummary } from './sortRooms'

function room(roomId: string, name: string, lastActivity: number, invite = false): RoomSummary {
  return {
    roomId,
    name,
    membership: invite ? 'invite' : 'join',
    isDirect: false,
    lastActivity,
    unread: 0,
    highlights: 0,
    encrypted: false,
  }
}

describe('sortRooms', () => {
  it('puts the most recently active rooms first, invites above all', () => {
    const rooms = [
      room('!a:hs', 'Alpha', 100),
      room('!b:hs', 'Beta', 300),
      room('!c:hs', 'Invite', 50, true),
      room('!d:hs', 'Delta', 200),
    ]
    expect(sortRooms(rooms).map((r) => r.name)).toEqual(['Invite', 'Beta', 'Delta', 'Alpha'])
  })

  it('breaks ties by name then ID, and leaves its input alone', () => {
    const rooms = [room('!z:hs', 'Same', 5), room('!y:hs', 'Same', 5), room('!x:hs', 'Aardvark', 5)]
    expect(sortRooms(rooms).map((r) => r.roomId)).toEqual(['!x:hs', '!y:hs', '!z:hs'])
    expect(rooms.map((r) => r.roomId)).toEqual(['!z:hs', '!y:hs', '!x:hs'])
  })
})

describe('filterRooms', () => {
  it('matches names and IDs ignoring case', () => {
    const rooms = [room('!abc:hs', 'Garden', 1), room('!def:hs', 'Kitchen', 1)]
    expect(filterRooms(rooms, 'GAR').map((r) => r.name)).toEqual(['Garden'])
    expect(filterRooms(rooms, 'def').map((r) => r.name)).toEqual(['Kitchen'])
    expect(filterRooms(rooms, ' ')).toHaveLength(2)
  })
})
