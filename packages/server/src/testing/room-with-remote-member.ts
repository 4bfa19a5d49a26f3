import type { ServerName, UserId } from '@rhizome/core'
import { afterEach } from 'vitest'
import { append, createRoom, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'

/** The server name TestRoom's users have. */
export const HERE = 'test' as ServerName
/** Another server, whose users the tests of federated features put in rooms. */
export const REMOTE = 'remote.test' as ServerName

export interface RoomWithRemoteMember {
  readonly storage: Storage
  readonly room: TestRoom
  /** The room's creator, of this server. */
  readonly alice: UserId
  /** A joined member of REMOTE. */
  readonly dave: UserId
}

/**
 * For a test file: opens in-memory SQLite storages, each holding a room of alice (here) and
 * dave (of REMOTE), and closes them after each test.
 */
export function useRoomWithRemoteMember(): () => Promise<RoomWithRemoteMember> {
  const opened: Storage[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()))
  })
  return async () => {
    const storage = await openStorage('sqlite::memory:')
    opened.push(storage)
    const room = new TestRoom()
    await createRoom(storage, room)
    const alice = room.creator
    const dave = alice.replace('@alice', '@dave').replace(`:${HERE}`, `:${REMOTE}`) as UserId
    await append(storage, room.member(dave, 'join'))
    return { storage, room, alice, dave }
  }
}
