import { err, ok, parseServerName, type EventId, type JsonObject } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import { serverError } from '../../http/errors.js'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { publicRoom } from '../../testing/federation-fixtures.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { remoteEvent, remoteServer, receiveRemote } from '../../testing/remote-room-events.js'
import { must, SERVER_NAME, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { historyRoutes } from './history-routes.js'

const FED = '/_matrix/federation/v1'
const REMOTE = remoteServer('remote.example')
const bob = userId('bob', REMOTE.name)

/** The test's stand-in for X-Matrix: the header names the requesting server. */
async function serve(storage: Storage): Promise<TestServer> {
  return startTestServer({
    routes: historyRoutes,
    services: {
      federationHistory: {
        storage,
        pdus: new PduLoader(storage.events),
        serverName: SERVER_NAME,
        now: Date.now,
      },
    },
    authenticateServer: (request) => {
      const parsed = parseServerName(request.authorization ?? '')
      return Promise.resolve(
        parsed.ok ? ok(parsed.value) : err(serverError('M_UNAUTHORIZED', 'no origin')),
      )
    },
  })
}

interface Reply {
  readonly status: number
  readonly body: JsonObject
}

describe.each(roomTestStorages())('serving history to other servers ($name)', (kind) => {
  const open = useRoomStorage(kind)
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  /**
   * Alice's room, visible to joined members only: a secret said before Bob (of remote.example)
   * joined, and a greeting after.
   */
  async function room(): Promise<{
    get: (origin: string, path: string, spec?: [string, string]) => Promise<Reply>
    roomId: string
    secret: EventId
    hello: EventId
    join: EventId
  }> {
    const storage = await open()
    const { rooms, roomId, alice } = await publicRoom(storage)
    must(
      await rooms.sendState(alice, roomId, 'm.room.history_visibility', '', {
        history_visibility: 'joined',
      }),
    )
    const secret = must(
      await rooms.sendMessage(alice, roomId, 'm.room.message', 's', { body: 'secret' }),
    )
    const join = await remoteEvent(
      storage,
      REMOTE,
      roomId,
      bob,
      'm.room.member',
      {
        membership: 'join',
      },
      { stateKey: bob },
    )
    expect((await receiveRemote(storage, join)).kind).toBe('accepted')
    const hello = must(
      await rooms.sendMessage(alice, roomId, 'm.room.message', 'h', { body: 'hello' }),
    )
    const server = await serve(storage)
    servers.push(server)
    const get = async (origin: string, path: string, spec?: [string, string]): Promise<Reply> => {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: origin } })
      const reply = { status: response.status, body: (await response.json()) as JsonObject }
      if (spec !== undefined) {
        expectMatchesSpec('server-server', spec[0], 'GET', spec[1], reply.status, reply.body)
      }
      return reply
    }
    return { get, roomId, secret, hello, join: join.eventId }
  }

  it('hands a member server events, state, auth chains and history, in the spec’s shapes', async () => {
    const { get, roomId, hello, join } = await room()
    const r = encodeURIComponent(roomId)
    const one = await get(REMOTE.name, `${FED}/event/${hello}`, [
      'events.yaml',
      `${FED}/event/{eventId}`,
    ])
    expect(one.status).toBe(200)
    expect(one.body['origin']).toBe(SERVER_NAME)
    expect(one.body['pdus']).toEqual([expect.objectContaining({ content: { body: 'hello' } })])

    const ids = await get(REMOTE.name, `${FED}/state_ids/${r}?event_id=${hello}`, [
      'events.yaml',
      `${FED}/state_ids/{roomId}`,
    ])
    expect(ids.status).toBe(200)
    expect(ids.body['pdu_ids']).toContain(join)
    const state = await get(REMOTE.name, `${FED}/state/${r}?event_id=${hello}`, [
      'events.yaml',
      `${FED}/state/{roomId}`,
    ])
    expect(state.status).toBe(200)
    expect((state.body['pdus'] as unknown[]).length).toBe((ids.body['pdu_ids'] as unknown[]).length)

    const auth = await get(REMOTE.name, `${FED}/event_auth/${r}/${hello}`, [
      'event_auth.yaml',
      `${FED}/event_auth/{roomId}/{eventId}`,
    ])
    expect(auth.status).toBe(200)
    const chainTypes = (auth.body['auth_chain'] as JsonObject[]).map((e) => e['type'])
    expect(chainTypes).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels']))

    const back = await get(REMOTE.name, `${FED}/backfill/${r}?v=${hello}&limit=4`, [
      'backfill.yaml',
      `${FED}/backfill/{roomId}`,
    ])
    expect(back.status).toBe(200)
    const pdus = back.body['pdus'] as JsonObject[]
    expect(pdus).toHaveLength(4)
    // Newest first, from the starting event back.
    expect(pdus[0]?.['content']).toEqual({ body: 'hello' })
    expect(pdus.map((p) => p['type'])).toContain('m.room.member')
    expect(pdus.map((p) => p['depth'])).toEqual(
      [...pdus.map((p) => p['depth'])].sort((a, b) => Number(b) - Number(a)),
    )
  })

  it('withholds what the server’s users could not see: before their join, under “joined”', async () => {
    const { get, roomId, secret, hello } = await room()
    const r = encodeURIComponent(roomId)
    const early = await get(REMOTE.name, `${FED}/event/${secret}`)
    expect(early.status).toBe(200)
    const [served] = early.body['pdus'] as JsonObject[]
    expect(served?.['content']).toEqual({})
    const back = await get(REMOTE.name, `${FED}/backfill/${r}?v=${hello}&limit=20`)
    const bodies = (back.body['pdus'] as JsonObject[]).map((p) => p['content'])
    expect(bodies).toContainEqual({ body: 'hello' })
    expect(bodies).not.toContainEqual({ body: 'secret' })
    expect((back.body['pdus'] as JsonObject[]).at(-1)?.['type']).toBe('m.room.create')
  })

  it('refuses a server with nobody in the room, and answers the spec’s errors', async () => {
    const { get, roomId, hello } = await room()
    const r = encodeURIComponent(roomId)
    for (const path of [
      `${FED}/event/${hello}`,
      `${FED}/state/${r}?event_id=${hello}`,
      `${FED}/state_ids/${r}?event_id=${hello}`,
      `${FED}/event_auth/${r}/${hello}`,
      `${FED}/backfill/${r}?v=${hello}&limit=5`,
    ]) {
      const reply = await get('stranger.example', path)
      expect({ path, status: reply.status, errcode: reply.body['errcode'] }).toEqual({
        path,
        status: 403,
        errcode: 'M_FORBIDDEN',
      })
    }
    // The spec lists these two refusals for state_ids.
    const ids = ['events.yaml', `${FED}/state_ids/{roomId}`] as [string, string]
    await get('stranger.example', `${FED}/state_ids/${r}?event_id=${hello}`, ids)
    const unknown = `$${'U'.repeat(43)}`
    await get(REMOTE.name, `${FED}/state_ids/${r}?event_id=${unknown}`, ids)
    expect((await get(REMOTE.name, `${FED}/event/${unknown}`)).status).toBe(404)
    expect((await get(REMOTE.name, `${FED}/state_ids/${r}?event_id=${unknown}`)).status).toBe(404)
    const missing = await get(REMOTE.name, `${FED}/state_ids/${r}`)
    expect([missing.status, missing.body['errcode']]).toEqual([400, 'M_MISSING_PARAM'])
    const noLimit = await get(REMOTE.name, `${FED}/backfill/${r}?v=${hello}`)
    expect([noLimit.status, noLimit.body['errcode']]).toEqual([400, 'M_MISSING_PARAM'])
    const otherRoom = await get(
      REMOTE.name,
      `${FED}/backfill/${encodeURIComponent('!nope:example.org')}?v=${hello}&limit=5`,
    )
    expect(otherRoom.status).toBe(404)
  })
})
