import { createHash } from 'node:crypto'

/**
 * The advisory lock key of a room: the first 8 bytes of SHA-256 of its ID, as a signed 64-bit
 * integer in decimal (PostgreSQL's bigint). A collision between two rooms only makes them wait
 * for each other; it never lets two writers into one room.
 */
export function roomLockKey(roomId: string): string {
  return createHash('sha256').update(roomId, 'utf8').digest().readBigInt64BE(0).toString()
}
