import {
  generateSigningKey,
  isJsonObject,
  type EventId,
  type JsonObject,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { knownKeys, publicRoom, storedRoomRules } from '../../testing/federation-fixtures.js'
import { crypto, SERVER_NAME, SIGNING_KEY, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { joinRemoteRoom, type RemoteJoinDeps } from './remote-join.js'
import { makeJoin, sendJoin, type ResidentJoinDeps } from './resident-join.js'

const JOINER = 'joiner.example' as ServerName
const joinerKey = generateSigningKey(crypto, 'j1')
const bob = userId('bob', JOINER)

/** Both servers' keys, as each would fetch them. */
const keys = knownKeys({ [JOINER]: joinerKey, [SERVER_NAME]: SIGNING_KEY })

async function resident(storage: Storage): Promise<{ deps: ResidentJoinDeps; roomId: RoomId }> {
  const { roomId } = await publicRoom(storage, 'Over the wire')
  const deps: ResidentJoinDeps = {
    storage,
    pdus: new PduLoader(storage.events),
    crypto,
    keys,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    now: Date.now,
    roomRules: storedRoomRules(storage),
  }
  return { deps, roomId }
}

/** The joining server's requests, answered in process by the resident's handlers. */
function wire(
  residentDeps: ResidentJoinDeps,
  tamper: (answer: JsonObject) => JsonObject = (a) => a,
): Pick<FederationRequester, 'request'> {
  return {
    async request(_destination, method, path, body, options) {
      const parts = path.split('/').map(decodeURIComponent)
      if (method === 'GET' && path.startsWith('/_matrix/federation/v1/make_join/')) {
        const ver = options?.query?.['ver']
        const versions = typeof ver === 'string' ? [ver] : [...(ver ?? [])]
        const made = await makeJoin(
          residentDeps,
          JOINER,
          parts[5] as RoomId,
          parts[6] as never,
          versions,
        )
        return made.ok
          ? { ok: true, value: { status: 200, body: made.value as unknown as JsonObject } }
          : {
              ok: false,
              error: { kind: 'http', status: 400, body: null, message: made.error.error },
            }
      }
      if (method === 'PUT' && path.startsWith('/_matrix/federation/v2/send_join/')) {
        const joined = await sendJoin(
          residentDeps,
          JOINER,
          parts[5] as RoomId,
          parts[6] as EventId,
          body ?? {},
        )
        return joined.ok
          ? {
              ok: true,
              value: { status: 200, body: tamper(joined.value as unknown as JsonObject) },
            }
          : {
              ok: false,
              error: { kind: 'http', status: 403, body: null, message: joined.error.error },
            }
      }
      return { ok: false, error: { kind: 'unreachable', message: `no route ${path}` } }
    },
  }
}

function joiner(storage: Storage, requester: Pick<FederationRequester, 'request'>): RemoteJoinDeps {
  return {
    storage,
    requester,
    keys,
    crypto,
    serverName: JOINER,
    signingKey: joinerKey,
    now: Date.now,
  }
}

describe.each(roomTestStorages())('joining a room on another server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('joins through a resident and holds the room as the resident has it', async () => {
    const home = await open()
    const away = await open()
    const { deps, roomId } = await resident(home)
    const joined = await joinRemoteRoom(joiner(away, wire(deps)), {
      roomId,
      userId: bob,
      servers: [JOINER, 'down.example' as ServerName, SERVER_NAME],
      content: { displayname: 'Bob' },
    })
    expect(joined.ok).toBe(true)
    // Both servers agree on the members and the state.
    expect([...(await away.rooms.joinedMembers(roomId))].sort()).toEqual(
      [...(await home.rooms.joinedMembers(roomId))].sort(),
    )
    expect(await away.rooms.joinedMembers(roomId)).toContain(bob)
    const homeState = await home.rooms.getCurrentState(roomId)
    const awayState = await away.rooms.getCurrentState(roomId)
    expect([...awayState].sort()).toEqual([...homeState].sort())
    const name = await away.rooms.getCurrentStateEvent(roomId, 'm.room.name', '')
    expect(name?.pdu.content['name']).toBe('Over the wire')
    const page = await away.events.roomTimeline(roomId, { direction: 'b', limit: 5 })
    expect(page.events.map((e) => e.pdu.type)).toEqual(['m.room.member'])
    expect(page.events[0]?.pdu.content['displayname']).toBe('Bob')
  })

  it('refuses an answer it cannot check, storing nothing', async () => {
    const home = await open()
    const away = await open()
    const { deps, roomId } = await resident(home)
    const withoutCreate = wire(deps, (answer) => ({
      ...answer,
      state: (answer['state'] as JsonObject[]).filter(
        (e) => isJsonObject(e) && e['type'] !== 'm.room.create',
      ),
    }))
    const refused = await joinRemoteRoom(joiner(away, withoutCreate), {
      roomId,
      userId: bob,
      servers: [SERVER_NAME],
    })
    expect(!refused.ok && refused.error.message).toMatch(/answer refused/)
    expect(await away.rooms.getRoom(roomId)).toBeUndefined()
  })
})
