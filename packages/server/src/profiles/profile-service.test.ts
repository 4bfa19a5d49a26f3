import { err, type RoomId, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { forbidden } from '../http/errors.js'
import type { EventPipeline } from '../rooms/event-pipeline.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { crypto, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { storedMemberProfiles } from './member-profiles.js'
import { ProfileService, type ProfileChangeLog } from './profile-service.js'

async function member(storage: Storage, localpart: string): Promise<Requester> {
  const id = userId(localpart)
  const created = await storage.accounts.createUser({
    userId: id,
    createdTs: 1,
    displayName: localpart,
  })
  expect(created.ok).toBe(true)
  return { userId: id, deviceId: 'D', isGuest: false }
}

async function newRoom(rooms: RoomService, creator: Requester): Promise<RoomId> {
  const created = await rooms.createRoom(creator, {
    visibility: 'private',
    invite: [],
    initialState: [],
    isDirect: false,
  })
  if (!created.ok) throw new Error(created.error.error)
  return created.value
}

async function displayNameIn(storage: Storage, roomId: RoomId, user: UserId): Promise<unknown> {
  const event = await storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', user)
  return event?.pdu.content['displayname']
}

for (const kind of roomTestStorages()) {
  describe(`ProfileService on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('updates every other room when one refuses and one fails, and logs both', async () => {
      const storage = await open()
      const rooms = createRoomService({
        storage,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
        profile: storedMemberProfiles(storage),
      })
      const alice = await member(storage, 'alice')
      const [first, refusing, failing, last] = [
        await newRoom(rooms, alice),
        await newRoom(rooms, alice),
        await newRoom(rooms, alice),
        await newRoom(rooms, alice),
      ]
      const pipeline: Pick<EventPipeline, 'send'> = {
        send: (roomId, template, options) => {
          if (roomId === refusing) return Promise.resolve(err(forbidden('not here')))
          if (roomId === failing) return Promise.reject(new Error('the database went away'))
          return rooms.pipeline.send(roomId, template, options)
        },
      }
      const warnings: { details: object; message: string }[] = []
      const log: ProfileChangeLog = {
        warn: (details, message) => warnings.push({ details, message }),
      }
      const profiles = new ProfileService({ storage, serverName: SERVER_NAME, pipeline })

      const set = await profiles.setField(alice, alice.userId, 'displayname', 'Alice', log)
      expect(set.ok).toBe(true)
      expect(await displayNameIn(storage, first, alice.userId)).toBe('Alice')
      expect(await displayNameIn(storage, last, alice.userId)).toBe('Alice')
      expect(await displayNameIn(storage, refusing, alice.userId)).toBe('alice')
      expect(await displayNameIn(storage, failing, alice.userId)).toBe('alice')
      expect(warnings.map((w) => (w.details as { room_id: RoomId }).room_id).sort()).toEqual(
        [refusing, failing].sort(),
      )
      expect(warnings.every((w) => w.message.includes('profile change'))).toBe(true)

      // The next change reaches the rooms that missed the last one.
      const healed = new ProfileService({
        storage,
        serverName: SERVER_NAME,
        pipeline: rooms.pipeline,
      })
      expect((await healed.setField(alice, alice.userId, 'displayname', 'Alice', log)).ok).toBe(
        true,
      )
      for (const roomId of [first, refusing, failing, last]) {
        expect(await displayNameIn(storage, roomId, alice.userId)).toBe('Alice')
      }
    })

    it('leaves rooms where the update is already in place untouched', async () => {
      const storage = await open()
      const rooms = createRoomService({
        storage,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
        profile: storedMemberProfiles(storage),
      })
      const alice = await member(storage, 'alice')
      const roomId = await newRoom(rooms, alice)
      const profiles = new ProfileService({
        storage,
        serverName: SERVER_NAME,
        pipeline: rooms.pipeline,
      })
      const log: ProfileChangeLog = { warn: () => undefined }
      const before = await storage.streams.currentPosition()
      expect((await profiles.setField(alice, alice.userId, 'displayname', 'alice', log)).ok).toBe(
        true,
      )
      expect(await storage.streams.currentPosition()).toBe(before)
      await profiles.setField(alice, alice.userId, 'avatar_url', 'mxc://example.org/x', log)
      const event = await storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', alice.userId)
      expect(event?.pdu.content).toEqual({
        membership: 'join',
        displayname: 'alice',
        avatar_url: 'mxc://example.org/x',
      })
      expect(event?.pdu.sender).toBe(alice.userId)
    })
  })
}
