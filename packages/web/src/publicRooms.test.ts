import { describe, expect, it } from 'vitest'
import { directoryServer, joinVia, publicRoomView } from './publicRooms'

const base = { world_readable: false, guest_can_join: false, num_joined_members: 3 }

describe('publicRoomView', () => {
  it('names a room by its name, else its alias, else its ID, and joins by alias', () => {
    expect(
      publicRoomView({
        ...base,
        room_id: '!a:x',
        name: 'Garden',
        canonical_alias: '#garden:x',
        topic: 'Plants',
      }),
    ).toEqual({
      roomId: '!a:x',
      name: 'Garden',
      alias: '#garden:x',
      topic: 'Plants',
      members: 3,
      joinTarget: '#garden:x',
    })
    expect(
      publicRoomView({ ...base, room_id: '!a:x', name: ' ', aliases: ['#old:x'] }),
    ).toMatchObject({ name: '#old:x', joinTarget: '#old:x', topic: '' })
    expect(publicRoomView({ ...base, room_id: '!a:x' })).toMatchObject({
      name: '!a:x',
      alias: undefined,
      joinTarget: '!a:x',
    })
  })
})

describe('directoryServer and joinVia', () => {
  it('reads a typed server name and picks the servers to join through', () => {
    expect(directoryServer('  ')).toBeUndefined()
    expect(directoryServer(' https://matrix.org/ ')).toBe('matrix.org')
    expect(directoryServer('example.org:8448')).toBe('example.org:8448')
    expect(joinVia('#garden:example.org', undefined)).toEqual(['example.org'])
    expect(joinVia('#garden:example.org', 'other.org')).toEqual(['other.org'])
    expect(joinVia('!id', undefined)).toEqual([])
  })
})
