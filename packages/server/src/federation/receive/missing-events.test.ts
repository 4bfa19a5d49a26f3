import type { EventId, RoomId, ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { publicRoom } from '../../testing/federation-fixtures.js'
import { must, SERVER_NAME } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { missingEvents, parseMissingEventsRequest } from './missing-events.js'

describe.each(roomTestStorages())('serving missing events ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('walks back from the latest events to what the asker has, within the limits', async () => {
    const storage = await open()
    const { rooms, roomId, alice } = await publicRoom(storage)
    const sent: EventId[] = []
    for (let i = 0; i < 5; i++) {
      sent.push(must(await rooms.sendMessage(alice, roomId, 'm.room.message', `t${i}`, { i })))
    }
    const [m0, , m2, m3, m4] = sent as [EventId, EventId, EventId, EventId, EventId]
    const ask = async (body: object): Promise<unknown[]> => {
      const request = must(parseMissingEventsRequest(body as never))
      const answer = must(await missingEvents(storage, SERVER_NAME, roomId, request))
      return answer.events.map((e) => (e['content'] as { i?: number }).i)
    }
    expect(await ask({ earliest_events: [m2], latest_events: [m4] })).toEqual([3])
    expect(await ask({ earliest_events: [m0], latest_events: [m4], limit: 2 })).toEqual([3, 2])
    const depth = (await storage.events.getEvent(m3))?.pdu.depth ?? 0
    expect(await ask({ earliest_events: [], latest_events: [m4], min_depth: depth })).toEqual([3])
  })

  it('answers only servers in the room, about rooms it holds', async () => {
    const storage = await open()
    const { roomId } = await publicRoom(storage)
    const request = must(parseMissingEventsRequest({ earliest_events: [], latest_events: [] }))
    const stranger = await missingEvents(storage, 'other.example' as ServerName, roomId, request)
    expect(!stranger.ok && stranger.error.errcode).toBe('M_FORBIDDEN')
    const unknown = await missingEvents(storage, SERVER_NAME, '!no:where' as RoomId, request)
    expect(!unknown.ok && unknown.error.errcode).toBe('M_NOT_FOUND')
    expect(parseMissingEventsRequest({ latest_events: [] }).ok).toBe(false)
  })
})
