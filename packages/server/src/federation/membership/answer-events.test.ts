import {
  buildEvent,
  roomVersionRules,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type RoomId,
  type ServerKeyLookup,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { coveringKeyLookup } from '../keys/covering-key-lookup.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../../testing/room-kit.js'
import { checkAnswerEvents } from './answer-events.js'

const v10 = roomVersionRules('10')
if (v10 === undefined) throw new Error('no room version 10')
const rules = v10
const roomId = '!answer:example.org' as RoomId

/** A create event and `count` joins, each sent a millisecond after the one before. */
function roomEvents(count: number): Pdu[] {
  const creator = userId('alice')
  const create = must(
    buildEvent(
      {
        roomVersion: rules,
        roomId,
        sender: creator,
        type: 'm.room.create',
        stateKey: '',
        content: { room_version: '10', creator },
        prevEvents: [],
        authEvents: [],
        originServerTs: 1000,
      },
      SERVER_NAME,
      SIGNING_KEY,
      crypto,
    ),
  )
  const events = [create]
  for (let i = 0; i < count; i++) {
    const member = userId(`m${i}`)
    events.push(
      must(
        buildEvent(
          {
            roomVersion: rules,
            roomId,
            sender: member,
            type: 'm.room.member',
            stateKey: member,
            content: { membership: 'join' },
            prevEvents: [],
            authEvents: [create.eventId],
            originServerTs: 1001 + i,
          },
          SERVER_NAME,
          SIGNING_KEY,
          crypto,
        ),
      ),
    )
  }
  return events
}

/** This server's key, valid until `validUntil`, counting how often it is asked for. */
function keysUntil(validUntil: number): { keys: ServerKeyLookup; asked: () => number } {
  let asked = 0
  return {
    keys: (server, keyIds, eventTs) => {
      asked++
      const found = new Map<string, Uint8Array>()
      if (server === SERVER_NAME && keyIds.includes(SIGNING_KEY.keyId)) {
        if ((eventTs ?? 0) <= validUntil) found.set(SIGNING_KEY.keyId, SIGNING_KEY.publicKey)
      }
      return Promise.resolve(found)
    },
    asked: () => asked,
  }
}

const copy = (pdu: Pdu): JsonObject => structuredClone(pdu.json)

describe('checkAnswerEvents', () => {
  it('checks every event, knows each JSON by its ID, and asks for the key once', async () => {
    const events = roomEvents(50)
    const jsons = events.map(copy)
    const { keys, asked } = keysUntil(Number.MAX_SAFE_INTEGER)
    const checked = await checkAnswerEvents(jsons, roomId, rules, crypto, coveringKeyLookup(keys))
    if (!checked.ok) throw new Error(checked.error)
    expect(checked.value.byId.size).toBe(events.length)
    for (const [i, json] of jsons.entries()) {
      expect(checked.value.idOf.get(json)).toBe(events[i]?.eventId)
    }
    expect(asked()).toBe(1)
  })

  it('refuses the whole answer for one bad signature, wherever it is', async () => {
    const jsons: JsonValue[] = roomEvents(20).map(copy)
    const victim = jsons[7] as JsonObject
    const signatures = victim['signatures'] as Record<string, Record<string, string>>
    const ours = signatures[SERVER_NAME]
    if (ours === undefined) throw new Error('unsigned')
    const other = (jsons[8] as { signatures: Record<string, Record<string, string>> }).signatures
    ours[SIGNING_KEY.keyId] = other[SERVER_NAME]?.[SIGNING_KEY.keyId] ?? ''
    const { keys } = keysUntil(Number.MAX_SAFE_INTEGER)
    const checked = await checkAnswerEvents(jsons, roomId, rules, crypto, coveringKeyLookup(keys))
    expect(!checked.ok && checked.error).toMatch(/does not verify/)
  })

  it('refuses events signed after their key expired, and events of another room', async () => {
    const events = roomEvents(10)
    const { keys } = keysUntil(1005)
    const late = await checkAnswerEvents(
      events.map(copy),
      roomId,
      rules,
      crypto,
      coveringKeyLookup(keys),
    )
    expect(!late.ok && late.error).toMatch(/no signature of example.org by a key known/)
    // Older events alone pass: the key was valid for them.
    const early = await checkAnswerEvents(
      events.slice(0, 5).map(copy),
      roomId,
      rules,
      crypto,
      coveringKeyLookup(keysUntil(1005).keys),
    )
    expect(early.ok).toBe(true)
    const elsewhere = await checkAnswerEvents(
      events.map(copy),
      '!elsewhere:example.org' as RoomId,
      rules,
      crypto,
      coveringKeyLookup(keysUntil(Number.MAX_SAFE_INTEGER).keys),
    )
    expect(!elsewhere.ok && elsewhere.error).toBe('an event of another room')
  })
})
