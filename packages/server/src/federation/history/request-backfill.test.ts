import {
  err,
  ok,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { knownKeys, publicRoom } from '../../testing/federation-fixtures.js'
import { receiveRemote, remoteEvent, remoteServer } from '../../testing/remote-room-events.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import type {
  FederationFailure,
  FederationRequester,
  FederationResponse,
} from '../transport/federation-client.js'
import { loadAuthChain } from './auth-chain.js'
import { backfillRoom } from './request-backfill.js'
import {
  backfillForServer,
  eventAuthForServer,
  eventForServer,
  stateIdsForServer,
  type HistoryServingDeps,
} from './serve-history.js'

const LATE = remoteServer('late.example')
const bob = userId('bob', LATE.name)

/** Answers `late.example`'s requests from the room's server, as its routes would. */
function requesterOf(served: HistoryServingDeps): Pick<FederationRequester, 'request'> {
  const origin = LATE.name as ServerName
  return {
    request: async (_server, _method, path, _body, options) => {
      const query = options?.query ?? {}
      const one = (name: string): string => String(query[name] ?? '')
      const parts = path.split('/').map(decodeURIComponent)
      const [kind, roomId, eventId] = [parts[4], parts[5] as RoomId, parts[6] as EventId]
      let answer: Result<object, { errcode: string }>
      if (kind === 'backfill') {
        const v = query['v']
        const from = (typeof v === 'string' ? [v] : [...(v ?? [])]) as EventId[]
        answer = await backfillForServer(served, origin, roomId, from, Number(one('limit')))
      } else if (kind === 'state_ids') {
        answer = await stateIdsForServer(served, origin, roomId, one('event_id') as EventId)
      } else if (kind === 'event_auth') {
        answer = await eventAuthForServer(served, origin, roomId, eventId)
      } else if (kind === 'event') {
        answer = await eventForServer(served, origin, roomId as string as EventId)
      } else answer = err({ errcode: 'M_UNRECOGNIZED' })
      return answer.ok
        ? ok<FederationResponse>({ status: 200, body: answer.value as JsonObject })
        : err<FederationFailure>({ kind: 'http', status: 400, body: null, message: 'refused' })
    },
  }
}

/** The room as the late server holds it after joining: the state as outliers, its join on top. */
async function joinLate(origin: Storage, late: Storage, roomId: RoomId): Promise<EventId> {
  const join = await remoteEvent(
    origin,
    LATE,
    roomId,
    bob,
    'm.room.member',
    {
      membership: 'join',
    },
    { stateKey: bob },
  )
  expect((await receiveRemote(origin, join)).kind).toBe('accepted')
  const stored = await origin.events.getEvent(join.eventId)
  const state = await origin.state.loadState(stored?.stateGroupBefore ?? -1)
  const ids = [...state].map(([, , id]) => id)
  const events = [...(await origin.events.getEvents(ids)).values()]
  const room = await origin.rooms.getRoom(roomId)
  const chain = await loadAuthChain(origin.events, roomId, room?.version ?? '', events)
  await late.withRoomWriteLock(roomId, async (w) => {
    await w.persistOutliers([...events, ...chain].map((e) => ({ pdu: e.pdu })))
    await w.persistEvent({
      pdu: join,
      stateBefore: { base: undefined, delta: { set: [...state], remove: [] } },
      newForwardExtremities: [join.eventId],
      currentState: 'advance',
      room: { version: room?.version ?? '', creator: bob, isPublic: false },
    })
  })
  return join.eventId
}

describe.each(roomTestStorages())('backfilling from another server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('stores the history before a late join in order, as its users may see it', async () => {
    const origin = await open()
    const late = await open()
    const { rooms, roomId, alice } = await publicRoom(origin)
    for (let i = 0; i < 3; i++) {
      must(await rooms.sendMessage(alice, roomId, 'm.room.message', `s${i}`, { body: `s${i}` }))
    }
    must(
      await rooms.sendState(alice, roomId, 'm.room.history_visibility', '', {
        history_visibility: 'joined',
      }),
    )
    must(await rooms.sendMessage(alice, roomId, 'm.room.message', 'j', { body: 'joined only' }))
    const joinId = await joinLate(origin, late, roomId)
    const joinedAt = (await late.events.getEvent(joinId))?.streamPosition ?? 0

    const deps = {
      storage: late,
      pdus: new PduLoader(late.events),
      crypto,
      keys: knownKeys({ [SERVER_NAME]: SIGNING_KEY, [LATE.name]: LATE.key }),
      requester: requesterOf({
        storage: origin,
        pdus: new PduLoader(origin.events),
        serverName: SERVER_NAME,
        now: Date.now,
      }),
      serverName: LATE.name as ServerName,
    }
    // A server whose deliveries are backing off is not asked: nothing is fetched.
    let asked = 0
    const counted = {
      ...deps,
      requester: {
        request: (...args: Parameters<FederationRequester['request']>) => {
          asked++
          return deps.requester.request(...args)
        },
      },
    }
    const whileDown = await backfillRoom(
      { ...counted, isBackingOff: () => Promise.resolve(true) },
      roomId,
      5,
    )
    expect(whileDown).toBe(0)
    expect(asked).toBe(0)
    const first = await backfillRoom(
      { ...counted, isBackingOff: () => Promise.resolve(false) },
      roomId,
      5,
    )
    expect(first).toBe(5)
    expect(asked).toBeGreaterThan(0)
    const more = await backfillRoom(deps, roomId, 50)
    expect(more).toBeGreaterThan(0)
    expect(await backfillRoom(deps, roomId, 50)).toBe(0)

    const page = await late.events.roomTimeline(roomId, { direction: 'b', limit: 100 })
    const all = await origin.events.roomTimeline(roomId, { direction: 'b', limit: 100 })
    expect(page.events.map((e) => e.pdu.eventId)).toEqual(all.events.map((e) => e.pdu.eventId))
    expect(page.events.at(-1)?.pdu.type).toBe('m.room.create')
    const bodies = page.events.map((e) => e.pdu.content['body'])
    // Said under 'shared' before the change: whole. Under 'joined' before Bob came: redacted.
    expect(bodies).toEqual(expect.arrayContaining(['s0', 's1', 's2']))
    expect(bodies).not.toContain('joined only')
    expect(page.events.every((e, i) => i === 0 || (e.streamPosition ?? 0) < 0)).toBe(true)
    // Not news: nothing after the join, and the room still ends at it.
    const since = await late.events.eventsSince([roomId], {
      since: joinedAt,
      upTo: await late.streams.currentPosition(),
      limitPerRoom: 10,
    })
    expect(since.size).toBe(0)
    const extremities = await late.withRoomWriteLock(roomId, (w) => w.getForwardExtremities())
    expect(extremities.map((e) => e.eventId)).toEqual([joinId])
  })
})
