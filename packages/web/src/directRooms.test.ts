import { describe, expect, it } from 'vitest'
import { addDirectRoom, directRoomIds, isUserId, parseDirectRooms } from './directRooms'

describe('m.direct handling', () => {
  it('adds a room without duplicating or losing others', () => {
    const start = parseDirectRooms({ '@bob:hs': ['!a:hs'], '@eve:hs': 'nonsense' })
    expect(start).toEqual({ '@bob:hs': ['!a:hs'] })
    const added = addDirectRoom(start, '@bob:hs', '!b:hs')
    expect(added).toEqual({ '@bob:hs': ['!a:hs', '!b:hs'] })
    expect(addDirectRoom(added, '@bob:hs', '!b:hs')).toBe(added)
    expect(addDirectRoom(added, '@carol:hs', '!c:hs')['@carol:hs']).toEqual(['!c:hs'])
    expect(directRoomIds(added)).toEqual(new Set(['!a:hs', '!b:hs']))
  })

  it('recognises user IDs', () => {
    expect(isUserId('@bob:example.org')).toBe(true)
    expect(isUserId('@bob:127.0.0.1:8008')).toBe(true)
    expect(isUserId('bob')).toBe(false)
    expect(isUserId('#room:hs')).toBe(false)
  })
})
