import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; stay well below. */
export const MAX_PAYLOAD_BYTES = 7000

/**
 * The NOTIFY payload: compact JSON. A notification too large to send whole (a membership change
 * touching thousands of users) becomes a catch-up: every waiter checks the stream.
 */
export function encodeNotification(notification: StreamNotification): string {
  const full = JSON.stringify({
    p: notification.position,
    r: notification.roomIds,
    u: notification.userIds,
    ...(notification.catchUp ? { c: 1 } : {}),
  })
  if (Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES) return full
  return JSON.stringify({ p: notification.position, r: [], u: [], c: 1 })
}

/**
 * Reads a payload from the channel. Anything malformed (another program notifying on our
 * channel) is treated as a catch-up, which is always safe, rather than as an error.
 */
export function decodeNotification(
  payload: string | undefined,
  fallbackPosition: number,
): StreamNotification {
  const catchUp: StreamNotification = {
    position: fallbackPosition,
    roomIds: [],
    userIds: [],
    catchUp: true,
  }
  if (payload === undefined) return catchUp
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return catchUp
  }
  if (typeof value !== 'object' || value === null) return catchUp
  const { p, r, u, c } = value as Record<string, unknown>
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || !isStringArray(r) || !isStringArray(u)) {
    return catchUp
  }
  return {
    position: p,
    roomIds: r as RoomId[],
    userIds: u as UserId[],
    catchUp: c === 1,
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
