import { err, type JsonObject, type RoomAlias, type ServerName, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { toHttpError } from '../../http/errors.js'
import { answer, FakeRequester } from '../../testing/fake-key-servers.js'
import { createRemoteQueries, keyFailureOf } from './remote-queries.js'

const REMOTE = 'remote.example' as ServerName
const bob = '@bob:remote.example' as UserId
const mallory = '@mallory:elsewhere.example' as UserId

function setUp(
  reply: (call: { path: string; body: JsonObject | undefined }) => ReturnType<typeof answer>,
) {
  const requester = new FakeRequester()
  requester.on(REMOTE, (call) => reply(call))
  return { requester, queries: createRemoteQueries(requester) }
}

describe('remote queries', () => {
  it('keeps only the profile fields clients are served, and only the one asked for', async () => {
    const { queries, requester } = setUp(() =>
      answer({ displayname: 'Bob', avatar_url: 'mxc://remote.example/a', 'm.tz': 'UTC', x: 1 }),
    )
    const whole = await queries.profile(bob)
    expect(whole).toEqual({
      ok: true,
      value: { displayname: 'Bob', avatar_url: 'mxc://remote.example/a' },
    })
    const one = await queries.profile(bob, 'displayname')
    expect(one).toEqual({ ok: true, value: { displayname: 'Bob' } })
    expect(requester.calls.map((c) => c.path)).toEqual([
      '/_matrix/federation/v1/query/profile',
      '/_matrix/federation/v1/query/profile',
    ])
  })

  it('passes a remote 404 or 403 on, and makes every other failure a 502', async () => {
    const statuses: [number, number][] = [
      [404, 404],
      [403, 403],
      [500, 502],
      [400, 502],
    ]
    for (const [remote, sent] of statuses) {
      const { queries } = setUp(() =>
        err({
          kind: 'http',
          status: remote,
          body: { errcode: 'X', error: 'said so' },
          message: '',
        }),
      )
      const result = await queries.profile(bob)
      expect(!result.ok && toHttpError(result.error).status).toBe(sent)
    }
    const unreachable = await createRemoteQueries(new FakeRequester()).profile(bob)
    expect(!unreachable.ok && toHttpError(unreachable.error).status).toBe(502)
  })

  it('checks a resolved alias: a room ID is needed, bad server names are dropped', async () => {
    const alias = '#room:remote.example' as RoomAlias
    const good = setUp(() =>
      answer({ room_id: '!r:remote.example', servers: ['other.example', 'not a name', 7] }),
    )
    expect(await good.queries.resolveAlias(alias)).toEqual({
      ok: true,
      value: { room_id: '!r:remote.example', servers: ['other.example', REMOTE] },
    })
    const bad = setUp(() => answer({ room_id: 'nonsense', servers: [] }))
    const refused = await bad.queries.resolveAlias(alias)
    expect(!refused.ok && toHttpError(refused.error).status).toBe(502)
  })

  it('keeps only keys of the users asked for that belong to the answering server', async () => {
    const deviceKeys = (user: string, device: string): JsonObject => ({
      user_id: user,
      device_id: device,
      algorithms: [],
      keys: {},
      signatures: {},
    })
    const { queries, requester } = setUp(() =>
      answer({
        device_keys: {
          [bob]: { D1: deviceKeys(bob, 'D1'), D2: deviceKeys(bob, 'OTHER'), D3: 'x' },
          [mallory]: { M: deviceKeys(mallory, 'M') },
        },
        master_keys: {
          [bob]: { user_id: bob, usage: ['master'], keys: {} },
          [mallory]: { user_id: mallory, usage: ['master'], keys: {} },
        },
        self_signing_keys: { [bob]: { user_id: mallory, usage: ['self_signing'], keys: {} } },
      }),
    )
    const result = await queries.queryKeys(
      REMOTE,
      new Map([
        [bob, []],
        [mallory, []],
      ]),
      500,
    )
    expect(result).toEqual({
      ok: true,
      value: {
        device_keys: { [bob]: { D1: deviceKeys(bob, 'D1') } },
        master_keys: { [bob]: { user_id: bob, usage: ['master'], keys: {} } },
        self_signing_keys: {},
      },
    })
    expect(requester.calls[0]?.body).toEqual({ device_keys: { [bob]: [], [mallory]: [] } })
  })

  it('keeps only claimed keys of the devices asked for', async () => {
    const { queries, requester } = setUp(() =>
      answer({
        one_time_keys: {
          [bob]: { D1: { 'signed_curve25519:A': { key: 'k' } }, D9: { 'signed_curve25519:B': {} } },
          [mallory]: { M: { 'signed_curve25519:C': {} } },
        },
      }),
    )
    const result = await queries.claimKeys(
      REMOTE,
      [{ userId: bob, deviceId: 'D1', algorithm: 'signed_curve25519' }],
      500,
    )
    expect(result).toEqual({
      ok: true,
      value: { [bob]: { D1: { 'signed_curve25519:A': { key: 'k' } } } },
    })
    expect(requester.calls[0]?.body).toEqual({
      one_time_keys: { [bob]: { D1: 'signed_curve25519' } },
    })
  })

  it('drops malformed rooms of a remote directory and estimates when the server did not', async () => {
    const room = {
      room_id: '!a:remote.example',
      num_joined_members: 2,
      world_readable: false,
      guest_can_join: false,
      join_rule: 'public',
    }
    const { queries } = setUp(() =>
      answer({ chunk: [room, { room_id: 'bad' }, 'x'], next_batch: 'n', prev_batch: 3 }),
    )
    expect(await queries.publicRooms(REMOTE, {})).toEqual({
      ok: true,
      value: { chunk: [room], next_batch: 'n', total_room_count_estimate: 1 },
    })
  })

  it('reports a key server’s failure with its status, or 503 when it did not answer', () => {
    expect(keyFailureOf({ kind: 'http', status: 500, body: null, message: 'status 500' })).toEqual({
      status: 500,
      message: 'status 500',
    })
    expect(keyFailureOf({ kind: 'unreachable', message: 'timeout' })).toEqual({
      status: 503,
      message: 'timeout',
    })
  })
})
