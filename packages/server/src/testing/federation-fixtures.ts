/**
 * FOR TESTS ONLY. What federation tests share: a public room on this server (example.org) made
 * by @alice, other servers' keys as a key fetcher would answer for them, and the room version
 * lookup the receiving code takes.
 */
import {
  roomVersionRules,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import type { ServerKeyLookup } from '../federation/keys/key-fetcher.js'
import type { Requester } from '../http/authenticate.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { testRoomService } from './http-test-client.js'
import { must, userId } from './room-kit.js'

export interface PublicRoom {
  readonly rooms: RoomService
  readonly roomId: RoomId
  readonly alice: Requester
}

/** A public room (the public_chat preset) made by @alice:example.org. */
export async function publicRoom(storage: Storage, name?: string): Promise<PublicRoom> {
  const rooms = testRoomService(storage)
  const alice: Requester = { userId: userId('alice'), deviceId: 'A', isGuest: false }
  if ((await storage.accounts.getUser(alice.userId)) === undefined) {
    must(await storage.accounts.createUser({ userId: alice.userId, createdTs: 1 }))
  }
  const roomId = must(
    await rooms.createRoom(alice, {
      visibility: 'public',
      invite: [],
      initialState: [],
      preset: 'public_chat',
      isDirect: false,
      ...(name === undefined ? {} : { name }),
    }),
  )
  return { rooms, roomId, alice }
}

/** A key fetcher that knows these servers' keys, and no others. */
export function knownKeys(
  keys: Readonly<Record<string, SigningKey>>,
): Pick<ServerKeyLookup, 'verifyKey'> {
  return {
    verifyKey: (server: ServerName, keyId: string) => {
      const key = keys[server]
      return Promise.resolve(
        key !== undefined && key.keyId === keyId
          ? { ok: true as const, value: key.publicKey }
          : { ok: false as const, error: 'unknown key' },
      )
    },
  }
}

/** The version rules of a stored room, undefined for a room this server is not in. */
export function storedRoomRules(
  storage: Storage,
): (roomId: RoomId) => Promise<RoomVersionRules | undefined> {
  return async (roomId) => {
    const room = await storage.rooms.getRoom(roomId)
    return room === undefined ? undefined : roomVersionRules(room.version)
  }
}
