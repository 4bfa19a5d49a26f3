/**
 * The `next_batch` / `prev_batch` tokens of `/publicRooms`: a position in the directory's order
 * (joined members, room ID) and the direction to read from it, so paging is by key and a room
 * joining or leaving the directory between pages shifts nothing. Opaque to clients:
 * `f.<members>.<room ID in URL-safe base64>` forwards, `b.` backwards.
 */
import {
  decodeBase64Url,
  encodeBase64Url,
  err,
  ok,
  parseRoomId,
  utf8Decode,
  utf8Encode,
  type Result,
} from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import type { PublishedRoomsCursor } from '../storage/room-directory-store.js'

export function encodePublicRoomsToken(cursor: PublishedRoomsCursor): string {
  const direction = cursor.direction === 'forwards' ? 'f' : 'b'
  return `${direction}.${cursor.joinedMembers}.${encodeBase64Url(utf8Encode(cursor.roomId))}`
}

export function decodePublicRoomsToken(token: string): Result<PublishedRoomsCursor, ServerError> {
  const invalid = err(
    serverError('M_INVALID_PARAM', 'since is not a pagination token of this server'),
  )
  const [direction, members, room, ...rest] = token.split('.')
  if (rest.length > 0 || (direction !== 'f' && direction !== 'b')) return invalid
  if (members === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(members)) return invalid
  const bytes = room === undefined ? undefined : decodeBase64Url(room)
  const text = bytes === undefined || !bytes.ok ? undefined : utf8Decode(bytes.value)
  const roomId = text === undefined || !text.ok ? undefined : parseRoomId(text.value)
  if (roomId === undefined || !roomId.ok) return invalid
  return ok({
    direction: direction === 'f' ? 'forwards' : 'backwards',
    joinedMembers: Number(members),
    roomId: roomId.value,
  })
}
