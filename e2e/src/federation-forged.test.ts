/**
 * Forged and broken federation input, sent to A by the test in the name of other servers of the
 * federation (with their real signing keys): a PDU with a bad signature, one with a bad content
 * hash (kept only in its redacted form), one whose sender belongs to a third server, a power
 * level escalation, a PDU from a server not in the room, malformed and oversized transactions
 * and a request with a bad X-Matrix signature. Each is refused as the spec says, and the room
 * stays as it was: the same state on both servers, and real messages still flow.
 */
import {
  buildEvent,
  generateSigningKey,
  roomVersionRules,
  selectAuthEvents,
  StateMap,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { MsgType } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { useThreeServers, type FederatedServer } from './harness/federation.js'
import { clientFor, registerAccount, type Account } from './harness/matrix-clients.js'
import { ServerImpersonator, type FederationAnswer } from './harness/server-impersonator.js'

interface StateEvent {
  readonly type: string
  readonly state_key: string
  readonly event_id: EventId
  readonly content: Record<string, unknown>
}

async function clientGet(
  server: FederatedServer,
  account: Account,
  path: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.server.baseUrl}/_matrix/client/v3${path}`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  })
  return { status: response.status, body: await response.json() }
}

function errcodeOf(answer: FederationAnswer): unknown {
  return (answer.body as { errcode?: unknown }).errcode
}

describe('forged and broken input from other servers', () => {
  const servers = useThreeServers()
  const { clients } = servers

  it('is refused or redacted, and the room stays consistent', async () => {
    const federation = servers.federation()
    const [a, b, c] = federation.servers
    if (a === undefined || b === undefined || c === undefined) throw new Error('need 3 servers')
    const asB = new ServerImpersonator(b, federation.pki.caPath)
    const asC = new ServerImpersonator(c, federation.pki.caPath)
    const aliceAccount = await registerAccount(a.server.baseUrl, 'alice')
    const bobAccount = await registerAccount(b.server.baseUrl, 'bob')
    const carolAccount = await registerAccount(c.server.baseUrl, 'carol')
    const alice = clientFor(a.server.baseUrl, aliceAccount)
    const bob = clientFor(b.server.baseUrl, bobAccount)
    clients.push(alice, bob)
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      room_alias_name: 'forged',
    })
    await bob.joinRoom(`#forged:${a.serverName}`)
    const room = encodeURIComponent(roomId)

    const stateAt = async (server: FederatedServer, account: Account): Promise<StateEvent[]> => {
      const answer = await clientGet(server, account, `/rooms/${room}/state`)
      expect(answer.status).toBe(200)
      return answer.body as StateEvent[]
    }
    const stateBefore = await stateAt(a, aliceAccount)
    const state = new StateMap<EventId>()
    for (const e of stateBefore) state.set(e.type, e.state_key, e.event_id)
    const version = String(
      stateBefore.find((e) => e.type === 'm.room.create')?.content['room_version'],
    )
    const rules = roomVersionRules(version)
    if (rules === undefined) throw new Error(`room version ${version}`)

    // Where a new event goes: make_join's template names A's forward extremities and depth.
    const template = await asB.send(
      a,
      'GET',
      `/_matrix/federation/v1/make_join/${room}/${encodeURIComponent(`@mallory:${b.serverName}`)}?ver=${version}`,
    )
    expect(template.status).toBe(200)
    const proto = (template.body as { event: { prev_events: EventId[]; depth: number } }).event

    let ts = Date.now()
    const forge = (
      signer: { name: string; key: SigningKey },
      sender: string,
      type: string,
      content: JsonObject,
      stateKey?: string,
    ): Pdu => {
      const subject = { type, sender, content, ...(stateKey === undefined ? {} : { stateKey }) }
      const built = buildEvent(
        {
          roomVersion: rules,
          roomId: roomId as RoomId,
          sender: sender as UserId,
          type,
          content,
          ...(stateKey === undefined ? {} : { stateKey }),
          prevEvents: proto.prev_events.map((eventId) => ({ eventId, depth: proto.depth - 1 })),
          authEvents: selectAuthEvents(subject, state, rules),
          originServerTs: ts++,
        },
        signer.name,
        signer.key,
        nodeCryptoProvider,
      )
      if (!built.ok) throw new Error(built.error.error)
      return built.value
    }
    let txn = 0
    const transact = (
      as: ServerImpersonator,
      pdus: readonly JsonObject[],
    ): Promise<FederationAnswer> =>
      as.send(a, 'PUT', `/_matrix/federation/v1/send/forged-${Date.now()}-${txn++}`, {
        json: { origin: as.name, origin_server_ts: Date.now(), pdus: [...pdus] },
      })
    const resultFor = (answer: FederationAnswer, eventId: string): unknown =>
      (answer.body as { pdus?: Record<string, unknown> }).pdus?.[eventId]
    const eventAtA = (eventId: string): Promise<{ status: number; body: unknown }> =>
      clientGet(a, aliceAccount, `/rooms/${room}/event/${encodeURIComponent(eventId)}`)

    // 1. A bad signature: signed with another key under B's key ID.
    const impostorKey = generateSigningKey(nodeCryptoProvider, asB.key.keyId.split(':')[1])
    const badSignature = forge(
      { name: asB.name, key: impostorKey },
      bobAccount.userId,
      'm.room.message',
      {
        msgtype: 'm.text',
        body: 'bad signature',
      },
    )
    const first = await transact(asB, [badSignature.json])
    expect(first.status).toBe(200)
    expect(resultFor(first, badSignature.eventId)).not.toEqual({})
    expect((await eventAtA(badSignature.eventId)).status).toBe(404)

    // 2. A bad content hash: the signature holds (it covers the redacted form), the content was
    // changed after signing, so A keeps only the redacted event.
    const signed = forge(asB, bobAccount.userId, 'm.room.message', {
      msgtype: 'm.text',
      body: 'as signed',
    })
    const tampered = { ...signed.json, content: { msgtype: 'm.text', body: 'changed on the way' } }
    const second = await transact(asB, [tampered])
    expect(resultFor(second, signed.eventId)).toEqual({})
    const redacted = await eventAtA(signed.eventId)
    expect(redacted.status).toBe(200)
    expect((redacted.body as { content: unknown }).content).toEqual({})

    // 3. A sender of another server, signed by B only.
    const strangerSender = forge(asB, carolAccount.userId, 'm.room.message', {
      msgtype: 'm.text',
      body: 'not my user',
    })
    const third = await transact(asB, [strangerSender.json])
    expect(resultFor(third, strangerSender.eventId)).not.toEqual({})
    expect((await eventAtA(strangerSender.eventId)).status).toBe(404)

    // 4. A power level escalation by Bob, signed properly by his server.
    const levels = stateBefore.find((e) => e.type === 'm.room.power_levels')?.content ?? {}
    const escalation = forge(
      asB,
      bobAccount.userId,
      'm.room.power_levels',
      {
        ...(levels as JsonObject),
        users: { ...(levels['users'] as JsonObject), [bobAccount.userId]: 100 },
      },
      '',
    )
    const fourth = await transact(asB, [escalation.json])
    const refusal = resultFor(fourth, escalation.eventId) as { error?: unknown } | undefined
    expect(typeof refusal?.error).toBe('string')

    // 5. A PDU from a server that is not in the room.
    const outsider = forge(asC, carolAccount.userId, 'm.room.message', {
      msgtype: 'm.text',
      body: 'from outside',
    })
    const fifth = await transact(asC, [outsider.json])
    expect(fifth.status).toBe(200)
    expect(resultFor(fifth, outsider.eventId)).not.toEqual({})
    expect((await eventAtA(outsider.eventId)).status).toBe(404)

    // 6. Malformed and oversized transactions.
    const uri = '/_matrix/federation/v1/send/malformed'
    const notJson = await asB.send(a, 'PUT', uri, { raw: Buffer.from('{"origin": "') })
    expect(notJson.status).toBe(400)
    expect(errcodeOf(notJson)).toBe('M_NOT_JSON')
    const wrongTypes = await asB.send(a, 'PUT', uri, {
      json: { origin: asB.name, origin_server_ts: Date.now(), pdus: 'not a list' },
    })
    expect(wrongTypes.status).toBe(400)
    expect(errcodeOf(wrongTypes)).toBe('M_BAD_JSON')
    const tooMany = await transact(
      asB,
      Array.from(
        { length: 51 },
        (_, i) =>
          forge(asB, bobAccount.userId, 'm.room.message', { msgtype: 'm.text', body: `${i}` }).json,
      ),
    )
    expect(errcodeOf(tooMany)).toBe('M_TOO_LARGE')
    const huge = {
      origin: asB.name,
      origin_server_ts: Date.now(),
      pdus: [],
      padding: 'x'.repeat(40_000_000),
    }
    // Announced in full, refused before the server reads it: only its start is sent.
    const hugeBytes = Buffer.from(JSON.stringify(huge))
    const oversized = await asB.send(a, 'PUT', uri, {
      raw: hugeBytes.subarray(0, 65_536),
      declaredLength: hugeBytes.length,
      signedContent: huge,
    })
    expect(oversized.status).toBe(413)
    expect(errcodeOf(oversized)).toBe('M_TOO_LARGE')

    // 7. A bad X-Matrix signature.
    const forgedHeader = (): string => {
      const answer = `X-Matrix origin="${asB.name}",destination="${a.serverName}",key="${asB.key.keyId}",sig="`
      return `${answer}${Buffer.alloc(64, 7).toString('base64').replace(/=+$/, '')}"`
    }
    const badAuth = await asB.send(a, 'PUT', '/_matrix/federation/v1/send/bad-auth', {
      json: { origin: asB.name, origin_server_ts: Date.now(), pdus: [] },
      authorization: forgedHeader(),
    })
    expect(badAuth.status).toBe(401)
    expect(errcodeOf(badAuth)).toBe('M_UNAUTHORIZED')

    // The room is as it was: A's state did not move, B agrees, and real messages still flow.
    const stateAfter = await stateAt(a, aliceAccount)
    const ids = (events: readonly StateEvent[]): string[] => events.map((e) => e.event_id).sort()
    expect(ids(stateAfter)).toEqual(ids(stateBefore))
    const sent = await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: 'still here' })
    const deadline = Date.now() + 20_000
    while ((await eventAtA(sent.event_id)).status !== 200) {
      if (Date.now() > deadline) throw new Error('a real message did not reach A')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(ids(await stateAt(b, bobAccount))).toEqual(ids(stateBefore))
  }, 120_000)
})
