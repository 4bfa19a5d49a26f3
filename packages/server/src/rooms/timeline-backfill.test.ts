import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { createRoomFederation } from '../federation/room-federation.js'
import type { Requester } from '../http/authenticate.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { parseRoomEventFilterParam } from '../sync/filter/sync-filter.js'
import { createRoomService } from './room-service.js'

describe.each(roomTestStorages())('/messages asking other servers for history ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('asks only when reading backwards runs out of events', async () => {
    const storage = await open()
    const asked: { roomId: RoomId; limit: number }[] = []
    const rooms = createRoomService({
      storage,
      serverName: SERVER_NAME,
      signingKey: SIGNING_KEY,
      crypto,
      now: Date.now,
      federation: createRoomFederation({
        storage,
        serverName: SERVER_NAME,
        sender: undefined,
        remoteJoin: undefined,
        remote: undefined,
        logger: { warn: () => undefined },
        backfill: (roomId, limit) => {
          asked.push({ roomId, limit })
          return Promise.resolve(0)
        },
      }),
    })
    const alice: Requester = { userId: userId('alice'), deviceId: 'A', isGuest: false }
    must(await storage.accounts.createUser({ userId: alice.userId, createdTs: 1 }))
    const roomId = must(
      await rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [],
        preset: 'private_chat',
        isDirect: false,
      }),
    )
    for (let i = 0; i < 3; i++) {
      must(await rooms.sendMessage(alice, roomId, 'm.room.message', `t${i}`, { body: `${i}` }))
    }
    const filter = must(parseRoomEventFilterParam(null))
    const read = async (dir: 'b' | 'f', limit: number): Promise<string | undefined> =>
      must(await rooms.getMessages(alice, roomId, { dir, limit, filter })).end

    // A full page, or reading forwards: nothing to ask.
    expect(await read('b', 2)).toBeDefined()
    expect(await read('f', 100)).toBeUndefined()
    expect(asked).toEqual([])
    // Back to the room's first event: asked once, and nobody had more.
    expect(await read('b', 100)).toBeUndefined()
    expect(asked).toEqual([{ roomId, limit: 100 }])
  })
})
