import {
  generateSigningKey,
  hashAndSignEvent,
  parseServerName,
  roomVersionRules,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { wireServers, type WiredServer } from '../../testing/federation-wire.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { receiveInvite } from './invite-receiver.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))

/** An invite of `invitee` built by A, as A would send it (A's signature only). */
async function inviteBuiltBy(
  a: WiredServer,
  invitee: string,
  version = '11',
): Promise<{ roomId: RoomId; invite: Pdu; state: JsonObject[] }> {
  const alice = await a.user('alice')
  const roomId = must(
    await a.rooms.createRoom(alice, {
      visibility: 'private',
      invite: [],
      initialState: [],
      preset: 'private_chat',
      isDirect: false,
      roomVersion: version,
      name: 'Invited',
    }),
  )
  let invite: Pdu | undefined
  const sent = await a.rooms.pipeline.send(
    roomId,
    {
      type: 'm.room.member',
      stateKey: invitee,
      sender: alice.userId,
      content: { membership: 'invite' },
    },
    {
      countersign: (pdu) => {
        invite = pdu
        return Promise.resolve({ ok: false, error: { errcode: 'M_UNKNOWN', error: 'held back' } })
      },
    },
  )
  expect(sent.ok).toBe(false)
  if (invite === undefined) throw new Error('no invite built')
  const state = (await a.storage.rooms.getCurrentStateEvents(roomId)).map((e) => e.pdu.json)
  return { roomId, invite, state }
}

describe.each(roomTestStorages())('invites from other servers ($name)', (kind) => {
  const open = useRoomStorage(kind)

  async function servers(): Promise<{ a: WiredServer; b: WiredServer; away: Storage }> {
    const away = await open()
    const wired = wireServers([
      { serverName: A, storage: await open() },
      { serverName: B, storage: away },
    ])
    const a = wired.get(A)
    const b = wired.get(B)
    if (a === undefined || b === undefined) throw new Error('two servers')
    return { a, b, away }
  }

  it('signs an invite of a local user and keeps it with the room’s state', async () => {
    const { a, b } = await servers()
    const bob = await b.user('bob')
    const { roomId, invite, state } = await inviteBuiltBy(a, bob.userId)
    const body = { room_version: '11', event: invite.json, invite_room_state: state }
    const answer = must(await receiveInvite(b.invites, A, roomId, invite.eventId, body))
    expectMatchesSpec(
      'server-server',
      'invites-v2.yaml',
      'PUT',
      '/_matrix/federation/v2/invite/{roomId}/{eventId}',
      200,
      // The schema still requires `origin`, which rooms v3+ ignore and this server leaves out.
      { event: { origin: A, ...answer.event } },
    )
    const signatures = answer.event['signatures'] as JsonObject
    expect(Object.keys(signatures).sort()).toEqual([A, B])
    const membership = await b.storage.rooms.getMembership(roomId, bob.userId)
    expect(membership).toMatchObject({ membership: 'invite', eventId: invite.eventId })
    const kept = await b.storage.events.getEvent(invite.eventId)
    const unsigned = kept?.pdu.json['unsigned'] as JsonObject
    const stripped = unsigned['invite_room_state'] as JsonObject[]
    expect(stripped.map((e) => e['type'])).toContain('m.room.name')
    expect(Object.keys(stripped[0] ?? {}).sort()).toEqual([
      'content',
      'sender',
      'state_key',
      'type',
    ])
  })

  it('refuses what it must refuse', async () => {
    const { a, b } = await servers()
    const bob = await b.user('bob')
    const { roomId, invite, state } = await inviteBuiltBy(a, bob.userId)
    const body = { room_version: '11', event: invite.json, invite_room_state: state }
    const errcode = async (
      origin: typeof A,
      eventId: EventId,
      request: JsonObject,
    ): Promise<string | undefined> => {
      const answer = await receiveInvite(b.invites, origin, roomId, eventId, request)
      return answer.ok ? undefined : answer.error.errcode
    }
    expect(await errcode(A, invite.eventId, { ...body, room_version: '99' })).toBe(
      'M_INCOMPATIBLE_ROOM_VERSION',
    )
    // Sent by a server other than the inviter's.
    expect(await errcode(B, invite.eventId, body)).toBe('M_INVALID_PARAM')
    // Another event ID than the event's.
    expect(await errcode(A, `$${'x'.repeat(43)}` as EventId, body)).toBe('M_INVALID_PARAM')
    // Signed by a key that is not A's.
    const rules = roomVersionRules('11')
    if (rules === undefined) throw new Error('no version')
    const { signatures: _dropped, ...unsignedInvite } = invite.json
    const forged = hashAndSignEvent(
      unsignedInvite,
      rules,
      A,
      generateSigningKey(crypto, 'w1'),
      crypto,
    )
    expect(await errcode(A, invite.eventId, { ...body, event: forged })).toBe('M_INVALID_PARAM')
    // An invite of a user of yet another server, or of nobody here.
    const elsewhere = await inviteBuiltBy(a, userId('carol', 'c.example'))
    const refused = await receiveInvite(b.invites, A, elsewhere.roomId, elsewhere.invite.eventId, {
      room_version: '11',
      event: elsewhere.invite.json,
    })
    expect(!refused.ok && refused.error.errcode).toBe('M_FORBIDDEN')
    const nobody = await inviteBuiltBy(a, userId('nobody', B))
    const unknown = await receiveInvite(b.invites, A, nobody.roomId, nobody.invite.eventId, {
      room_version: '11',
      event: nobody.invite.json,
    })
    expect(!unknown.ok && unknown.error.errcode).toBe('M_FORBIDDEN')
    expect(await b.storage.rooms.roomsForUser(bob.userId, ['invite'])).toEqual([])
  })

  it('wants the room’s own create event among the state in room version 12', async () => {
    const { a, b } = await servers()
    const bob = await b.user('bob')
    const { roomId, invite, state } = await inviteBuiltBy(a, bob.userId, '12')
    const withoutCreate = state.filter((e) => e['type'] !== 'm.room.create')
    const refused = await receiveInvite(b.invites, A, roomId, invite.eventId, {
      room_version: '12',
      event: invite.json,
      invite_room_state: withoutCreate,
    })
    expect(!refused.ok && refused.error.errcode).toBe('M_INVALID_PARAM')
    must(
      await receiveInvite(b.invites, A, roomId, invite.eventId, {
        room_version: '12',
        event: invite.json,
        invite_room_state: state,
      }),
    )
  })
})
