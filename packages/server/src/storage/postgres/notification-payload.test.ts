import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification } from '../interface.js'
import {
  decodeNotification,
  encodeNotification,
  MAX_PAYLOAD_BYTES,
} from './notification-payload.js'

const note: StreamNotification = {
  position: 42,
  roomIds: ['!a:x' as RoomId],
  userIds: ['@u:x' as UserId],
  catchUp: false,
}

describe('notification payloads', () => {
  it('round-trip', () => {
    expect(decodeNotification(encodeNotification(note), 0)).toEqual(note)
    const catchUp = { ...note, roomIds: [], userIds: [], catchUp: true }
    expect(decodeNotification(encodeNotification(catchUp), 0)).toEqual(catchUp)
  })

  it('a notification too large for NOTIFY becomes a catch-up at the same position', () => {
    const many = {
      ...note,
      userIds: Array.from({ length: 2000 }, (_, i) => `@user${i}:x` as UserId),
    }
    const payload = encodeNotification(many)
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES)
    expect(decodeNotification(payload, 0)).toEqual({
      position: 42,
      roomIds: [],
      userIds: [],
      catchUp: true,
    })
  })

  it('anything malformed is a catch-up at the fallback position', () => {
    const catchUp = { position: 7, roomIds: [], userIds: [], catchUp: true }
    for (const payload of [
      undefined,
      '',
      'not json',
      'null',
      '[]',
      '{"p":"1","r":[],"u":[]}',
      '{"p":1.5,"r":[],"u":[]}',
      '{"p":1,"r":[1],"u":[]}',
      '{"p":1,"r":[],"u":{}}',
      '{"p":1e300,"r":[],"u":[]}',
    ]) {
      expect(decodeNotification(payload, 7)).toEqual(catchUp)
    }
  })
})
