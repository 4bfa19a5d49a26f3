import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { decodePublicRoomsToken, encodePublicRoomsToken } from './public-rooms-token.js'

describe('public rooms tokens', () => {
  it('round-trips a position and direction', () => {
    for (const cursor of [
      { direction: 'forwards', joinedMembers: 0, roomId: '!a_b-c:example.org' as RoomId },
      { direction: 'backwards', joinedMembers: 1234, roomId: '!x.y:[::1]:8448' as RoomId },
    ] as const) {
      const token = encodePublicRoomsToken(cursor)
      expect(token).toMatch(/^[fb]\.[0-9]+\.[A-Za-z0-9_-]+$/)
      expect(decodePublicRoomsToken(token)).toEqual({ ok: true, value: cursor })
    }
  })

  it('refuses anything else with M_INVALID_PARAM', () => {
    const roomPart = encodePublicRoomsToken({
      direction: 'forwards',
      joinedMembers: 1,
      roomId: '!a:example.org' as RoomId,
    }).split('.')[2]
    for (const token of [
      '',
      'f',
      'x.1.' + String(roomPart),
      'f.-1.' + String(roomPart),
      'f.01.' + String(roomPart),
      'f.1.' + String(roomPart) + '.extra',
      'f.1.bm90IGEgcm9vbQ',
      'f.1.!!!',
    ]) {
      const decoded = decodePublicRoomsToken(token)
      expect({ token, errcode: decoded.ok ? undefined : decoded.error.errcode }).toEqual({
        token,
        errcode: 'M_INVALID_PARAM',
      })
    }
  })
})
