import { DEFAULT_ROOM_VERSION, ROOM_VERSIONS } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { roomTestStorages } from '../testing/room-storages.js'
import { useSyncTestServer } from '../testing/sync-test-server.js'
import { capabilities, type Serves } from './capabilities.js'

const PATH = '/_matrix/client/v3/capabilities'

describe('capabilities', () => {
  it('offers every room version as stable, with 12 the default', () => {
    const body = capabilities(() => false) as Record<string, unknown>
    expect(body['m.room_versions']).toEqual({
      default: '12',
      available: Object.fromEntries([...ROOM_VERSIONS.keys()].map((v) => [v, 'stable'])),
    })
    expect(DEFAULT_ROOM_VERSION).toBe('12')
    expect(Object.keys((body['m.room_versions'] as { available: object }).available)).toHaveLength(
      12,
    )
  })

  it('disables what this build does not serve', () => {
    expect(capabilities(() => false)).toMatchObject({
      'm.change_password': { enabled: false },
      'm.set_displayname': { enabled: false },
      'm.set_avatar_url': { enabled: false },
      'm.profile_fields': { enabled: false },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
      'm.forget_forced_upon_leave': { enabled: false },
    })
  })

  it('enables what it serves', () => {
    const only =
      (...served: string[]): Serves =>
      (method, path) =>
        served.includes(`${method} ${path}`)
    expect(
      capabilities(
        only(
          'POST /_matrix/client/v3/account/password',
          'PUT /_matrix/client/v3/profile/:userId/displayname',
        ),
      ),
    ).toMatchObject({
      'm.change_password': { enabled: true },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: false },
      'm.profile_fields': { enabled: true, allowed: ['displayname'] },
    })
    const all = capabilities(only('PUT /_matrix/client/v3/profile/:userId/:keyName'))
    expect(all).toMatchObject({
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.profile_fields': { enabled: true },
    })
    expect((all as Record<string, object>)['m.profile_fields']).not.toHaveProperty('allowed')
  })
})

for (const kind of roomTestStorages()) {
  describe(`GET /capabilities on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('answers as the spec shapes it, reading what the route table serves', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('GET', PATH, { user: alice })
      expect(reply.status).toBe(200)
      expectMatchesSpec('client-server', 'capabilities.yaml', 'GET', PATH, 200, reply.body)
      const { serves } = await import('../app/routes.js')
      const caps = (reply.body as { capabilities: Record<string, { enabled?: boolean }> })
        .capabilities
      expect(caps['m.change_password']?.enabled).toBe(
        serves('POST', '/_matrix/client/v3/account/password'),
      )
      expect(caps['m.get_login_token']?.enabled).toBe(false)
      const anonymous = await t.call('GET', PATH)
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })
  })
}
