import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import type { Storage } from '../storage/interface.js'
import { captureLogs } from '../testing/capture-logs.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { partDeactivatedUsers, partFromAllRooms } from './part-deactivated.js'
import { createRoomService, type RoomService } from './room-service.js'

const asRequester = (user: UserId): Requester => ({
  userId: user,
  deviceId: 'D',
  isGuest: false,
})

async function setUp(storage: Storage) {
  const rooms = createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now: Date.now,
    transactionIds: storedTransactionIds(storage),
  })
  const tag = Math.random().toString(36).slice(2, 8)
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => userId(`${name}-${tag}`))
  if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')
  for (const user of [alice, bob, carol])
    await storage.accounts.createUser({ userId: user, createdTs: 1 })
  const logs = captureLogs()
  return { rooms, alice, bob, carol, deps: { rooms, storage, log: logs.logger }, logs }
}

async function room(rooms: RoomService, creator: UserId, invite: UserId[] = []): Promise<RoomId> {
  return must(
    await rooms.createRoom(asRequester(creator), {
      visibility: 'private',
      invite,
      initialState: [],
      preset: 'public_chat',
      isDirect: false,
    }),
  )
}

async function membership(storage: Storage, user: UserId, roomId: RoomId) {
  const held = await storage.rooms.roomsForUser(user, ['join', 'invite', 'leave', 'ban', 'knock'])
  return held.find((m) => m.roomId === roomId)?.membership
}

for (const kind of roomTestStorages()) {
  describe(`parting deactivated users on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('leaves every joined room and declines every invite, and nothing else', async () => {
      const storage = await open()
      const { rooms, alice, bob, carol, deps } = await setUp(storage)
      const first = await room(rooms, alice)
      const second = await room(rooms, alice, [bob])
      const third = await room(rooms, carol)
      must(await rooms.join(asRequester(bob), { kind: 'id', roomId: first }, {}))
      must(await rooms.join(asRequester(bob), { kind: 'id', roomId: third }, {}))
      must(await rooms.leave(asRequester(bob), third, {}))

      expect(await partFromAllRooms(bob, deps)).toEqual({ left: 2, failed: 0 })
      expect(await membership(storage, bob, first)).toBe('leave')
      expect(await membership(storage, bob, second)).toBe('leave')
      expect(await membership(storage, alice, first)).toBe('join')
      const leave = await storage.events.getEvent(
        (await storage.rooms.roomsForUser(bob, ['leave'])).find((m) => m.roomId === first)
          ?.eventId ?? ('$none' as never),
      )
      expect(leave?.pdu.content).toEqual({ membership: 'leave', reason: 'Account deactivated' })
    })

    it('at startup, finishes parting every deactivated account that still holds rooms', async () => {
      const storage = await open()
      const { rooms, alice, bob, carol, deps, logs } = await setUp(storage)
      const shared = await room(rooms, alice, [carol])
      must(await rooms.join(asRequester(bob), { kind: 'id', roomId: shared }, {}))
      await storage.accounts.deactivate(bob)
      await storage.accounts.deactivate(carol)

      const parted = await partDeactivatedUsers(deps)
      expect(parted.failed).toBe(0)
      expect(parted.left).toBeGreaterThanOrEqual(2)
      expect(await membership(storage, bob, shared)).toBe('leave')
      expect(await membership(storage, carol, shared)).toBe('leave')
      expect(await membership(storage, alice, shared)).toBe('join')
      expect((await storage.accounts.deactivatedUsersInRooms()).filter((u) => u === bob)).toEqual(
        [],
      )
      expect(logs.entries().some((e) => e['msg'] === 'parted deactivated user')).toBe(true)
    })
  })
}
