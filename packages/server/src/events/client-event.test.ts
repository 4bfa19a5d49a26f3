import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../storage/interface.js'
import { toClientEvent } from './client-event.js'

function stored(pdu: Partial<Pdu>, extra: Partial<StoredEvent> = {}): StoredEvent {
  const full: Pdu = {
    eventId: '$event' as EventId,
    roomId: '!room:example.org' as RoomId,
    sender: '@alice:example.org' as UserId,
    type: 'm.room.message',
    content: { body: 'hello', msgtype: 'm.text' },
    originServerTs: 1000,
    depth: 5,
    prevEvents: [],
    authEvents: [],
    json: {},
    ...pdu,
  }
  return {
    pdu: full,
    json: '{}',
    roomVersion: '11',
    streamPosition: 9,
    rejectionReason: undefined,
    redactedBy: undefined,
    stateGroupBefore: 1,
    stateGroupAfter: 1,
    ...extra,
  }
}

describe('toClientEvent', () => {
  it('serves a message with its age and nothing of the federation format', () => {
    expect(toClientEvent(stored({}), { now: 1500 })).toEqual({
      event_id: '$event',
      type: 'm.room.message',
      sender: '@alice:example.org',
      origin_server_ts: 1000,
      content: { body: 'hello', msgtype: 'm.text' },
      room_id: '!room:example.org',
      unsigned: { age: 500 },
    })
  })

  it('adds the transaction ID and leaves out the room ID when asked', () => {
    const event = toClientEvent(stored({}), {
      now: 1000,
      transactionId: 'txn',
      withoutRoomId: true,
    })
    expect(event['room_id']).toBeUndefined()
    expect(event['unsigned']).toEqual({ age: 0, transaction_id: 'txn' })
  })

  it('describes the state a state event replaced, redacted if it was', () => {
    const previous = stored({
      eventId: '$old' as EventId,
      type: 'm.room.member',
      stateKey: '@alice:example.org',
      sender: '@bob:example.org' as UserId,
      content: { membership: 'invite', reason: 'come' },
    }).pdu
    const event = stored({
      type: 'm.room.member',
      stateKey: '@alice:example.org',
      content: { membership: 'join' },
    })
    expect(
      toClientEvent(event, { now: 1000, replaces: { pdu: previous, redacted: false } }),
    ).toMatchObject({
      state_key: '@alice:example.org',
      unsigned: {
        replaces_state: '$old',
        prev_sender: '@bob:example.org',
        prev_content: { membership: 'invite', reason: 'come' },
      },
    })
    const redacted = toClientEvent(event, {
      now: 1000,
      replaces: { pdu: previous, redacted: true },
    })
    expect((redacted['unsigned'] as JsonObject)['prev_content']).toEqual({ membership: 'invite' })
    // A message event never carries prev_content.
    const message = toClientEvent(stored({}), {
      now: 1000,
      replaces: { pdu: previous, redacted: false },
    })
    expect(message['unsigned']).toEqual({ age: 0 })
  })

  it('strips the content of a redacted event and says why', () => {
    const because = { event_id: '$redaction', type: 'm.room.redaction' }
    const event = stored({}, { redactedBy: '$redaction' as EventId })
    expect(toClientEvent(event, { now: 1000, redactedBecause: because })).toMatchObject({
      content: {},
      unsigned: { redacted_because: because },
    })
    // Without the redaction at hand the content is stripped all the same.
    expect(toClientEvent(event, { now: 1000 })['content']).toEqual({})
    const member = stored(
      {
        type: 'm.room.member',
        stateKey: '@a:example.org',
        content: { membership: 'join', displayname: 'A' },
      },
      { redactedBy: '$redaction' as EventId },
    )
    expect(toClientEvent(member, { now: 1000 })['content']).toEqual({ membership: 'join' })
  })

  it('puts redacts at the top level in every room version', () => {
    const v11 = stored({
      type: 'm.room.redaction',
      content: { redacts: '$target' },
      redacts: '$target' as EventId,
    })
    expect(toClientEvent(v11, { now: 1000 })).toMatchObject({
      redacts: '$target',
      content: { redacts: '$target' },
    })
  })

  it("drops a redacted redaction's redacts before v11, where the algorithm does", () => {
    const redacted = { redactedBy: '$other' as EventId }
    const v10 = stored(
      { type: 'm.room.redaction', content: { reason: 'x' }, redacts: '$target' as EventId },
      { ...redacted, roomVersion: '10' },
    )
    const out = toClientEvent(v10, { now: 1000 })
    expect(out['redacts']).toBeUndefined()
    expect(out['content']).toEqual({})
    const v11 = stored(
      {
        type: 'm.room.redaction',
        content: { redacts: '$target', reason: 'x' },
        redacts: '$target' as EventId,
      },
      redacted,
    )
    expect(toClientEvent(v11, { now: 1000 })).toMatchObject({
      redacts: '$target',
      content: { redacts: '$target' },
    })
  })

  it('puts the bundled aggregations in unsigned', () => {
    const relations = { 'm.reference': { chunk: [{ event_id: '$child' }] } }
    expect(toClientEvent(stored({}), { now: 1000, relations })['unsigned']).toEqual({
      age: 0,
      'm.relations': relations,
    })
  })

  it('refuses an event of an unknown room version (a bug, not input)', () => {
    expect(() => toClientEvent(stored({}, { roomVersion: '999' }), { now: 0 })).toThrow()
  })
})
