import {
  generateSigningKey,
  parseServerName,
  withSignature,
  type JsonObject,
  type RoomId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { wireServers } from '../../testing/federation-wire.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { sendRemoteInvite } from './remote-invite.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))

describe.each(roomTestStorages())('inviting a user of another server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('takes the invitee server’s signature only when it verifies, and passes refusals on', async () => {
    const a = wireServers([{ serverName: A, storage: await open() }]).get(A)
    if (a === undefined) throw new Error('a server')
    const alice = await a.user('alice')
    const roomId: RoomId = must(
      await a.rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [],
        preset: 'private_chat',
        isDirect: false,
      }),
    )
    const rules = await a.rooms.pipeline.roomRules(roomId)
    if (rules === undefined) throw new Error('no room')
    const bKey = generateSigningKey(crypto, 'b1')
    const keys = {
      verifyKey: (server: string, keyId: string) =>
        Promise.resolve(
          server === B && keyId === bKey.keyId
            ? { ok: true as const, value: bKey.publicKey }
            : { ok: false as const, error: 'unknown' },
        ),
    }
    const answering = (
      answer: (event: JsonObject) => JsonObject | undefined,
    ): Pick<FederationRequester, 'request'> => ({
      request: (_destination, _method, _path, body) => {
        const event = body?.['event'] as JsonObject
        const reply = answer(event)
        return Promise.resolve(
          reply === undefined
            ? {
                ok: false,
                error: {
                  kind: 'http',
                  status: 403,
                  body: { errcode: 'M_FORBIDDEN', error: 'no invites here' },
                  message: '403 M_FORBIDDEN: no invites here',
                },
              }
            : { ok: true, value: { status: 200, body: { event: reply } } },
        )
      },
    })
    const invite = async (requester: Pick<FederationRequester, 'request'>) => {
      let outcome: Awaited<ReturnType<typeof sendRemoteInvite>> | undefined
      await a.rooms.pipeline.send(
        roomId,
        {
          type: 'm.room.member',
          stateKey: userId('bob', B),
          sender: alice.userId,
          content: { membership: 'invite' },
        },
        {
          countersign: async (pdu) => {
            outcome = await sendRemoteInvite({ requester, keys, crypto }, pdu, rules, [])
            return { ok: false, error: { errcode: 'M_UNKNOWN', error: 'not stored in this test' } }
          },
        },
      )
      if (outcome === undefined) throw new Error('not sent')
      return outcome
    }
    const forged = await invite(
      answering((event) => withSignature(event, B, bKey.keyId, 'A'.repeat(86))),
    )
    expect(!forged.ok && forged.error.status).toBe(502)
    const unsigned = await invite(answering((event) => event))
    expect(!unsigned.ok && unsigned.error.status).toBe(502)
    const refused = await invite(answering(() => undefined))
    expect(!refused.ok && refused.error.errcode).toBe('M_FORBIDDEN')
  })
})
