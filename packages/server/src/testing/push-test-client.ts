/**
 * FOR TESTS ONLY. The calls push and receipt tests make against a PushTestServer, each checked
 * for success (and `/sync` against the spec's schema).
 */
import { expect } from 'vitest'
import type { TestUser } from './fake-authenticate.js'
import { expectMatchesSpec } from './openapi-spec.js'
import type { PushTestServer } from './push-test-server.js'

export const V3 = '/_matrix/client/v3'

export interface UnreadCounts {
  readonly notification_count: number
  readonly highlight_count: number
}

export interface SyncRoom {
  readonly timeline: { readonly events: { event_id: string; type: string }[] }
  readonly ephemeral?: { readonly events: { type: string; content: Record<string, unknown> }[] }
  readonly account_data?: { readonly events: { type: string; content: Record<string, unknown> }[] }
  readonly unread_notifications?: UnreadCounts
  readonly unread_thread_notifications?: Record<string, UnreadCounts>
}

export interface SyncBody {
  readonly next_batch: string
  readonly rooms: { readonly join: Record<string, SyncRoom> }
  readonly account_data: { readonly events: { type: string; content: Record<string, unknown> }[] }
}

export const roomPath = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

export async function createRoom(
  t: PushTestServer,
  user: TestUser,
  body: object = {},
): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

/** A room `owner` creates and every one of `members` joins. */
export async function sharedRoom(
  t: PushTestServer,
  owner: TestUser,
  members: readonly TestUser[],
  body: object = {},
): Promise<string> {
  const roomId = await createRoom(t, owner, {
    invite: members.map((m) => m.userId),
    ...body,
  })
  for (const member of members) {
    const joined = await t.call('POST', roomPath(roomId, 'join'), { user: member, body: {} })
    expect(joined.status, JSON.stringify(joined.body)).toBe(200)
  }
  return roomId
}

let txn = 0
export async function sendEvent(
  t: PushTestServer,
  user: TestUser,
  roomId: string,
  content: Record<string, unknown>,
  type = 'm.room.message',
): Promise<string> {
  const reply = await t.call('PUT', roomPath(roomId, `send/${type}/t${++txn}`), {
    user,
    body: content,
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

export function sendText(
  t: PushTestServer,
  user: TestUser,
  roomId: string,
  body: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return sendEvent(t, user, roomId, { msgtype: 'm.text', body, ...extra })
}

export async function sync(
  t: PushTestServer,
  user: TestUser,
  params: Record<string, string> = {},
): Promise<SyncBody> {
  const reply = await t.call('GET', `${V3}/sync?${new URLSearchParams(params).toString()}`, {
    user,
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  return reply.body as SyncBody
}

export async function receipt(
  t: PushTestServer,
  user: TestUser,
  roomId: string,
  eventId: string,
  type = 'm.read',
  body: unknown = {},
): Promise<void> {
  const reply = await t.call(
    'POST',
    roomPath(roomId, `receipt/${type}/${encodeURIComponent(eventId)}`),
    { user, body },
  )
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
}
