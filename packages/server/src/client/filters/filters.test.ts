import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const POST_PATH = `${V3}/user/{userId}/filter`
const GET_PATH = `${V3}/user/{userId}/filter/{filterId}`

for (const kind of roomTestStorages()) {
  describe(`filters on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('stores a filter and gives it back as it was sent', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const filter = {
        event_fields: ['type', 'content.body'],
        event_format: 'client',
        presence: { not_types: ['*'] },
        room: {
          state: { lazy_load_members: true, types: ['m.room.*'] },
          timeline: { limit: 20, not_senders: ['@spam:example.org'] },
          org_example_future_key: { x: 1 },
        },
      }
      const user = encodeURIComponent(alice.userId)
      const created = await t.call('POST', `${V3}/user/${user}/filter`, {
        user: alice,
        body: filter,
      })
      expect(created.status).toBe(200)
      expectMatchesSpec('client-server', 'filter.yaml', 'POST', POST_PATH, 200, created.body)
      const filterId = (created.body as { filter_id: string }).filter_id
      expect(filterId.startsWith('{')).toBe(false)

      const got = await t.call('GET', `${V3}/user/${user}/filter/${filterId}`, { user: alice })
      expect(got.status).toBe(200)
      expectMatchesSpec('client-server', 'filter.yaml', 'GET', GET_PATH, 200, got.body)
      expect(got.body).toEqual(filter)
      // r0 too.
      const r0 = await t.call('GET', `/_matrix/client/r0/user/${user}/filter/${filterId}`, {
        user: alice,
      })
      expect(r0.body).toEqual(filter)
    })

    it("refuses other users' filters, unknown ones and malformed ones", async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const aliceId = encodeURIComponent(alice.userId)
      const bobId = encodeURIComponent(bob.userId)
      const created = await t.call('POST', `${V3}/user/${aliceId}/filter`, {
        user: alice,
        body: {},
      })
      const filterId = (created.body as { filter_id: string }).filter_id

      const forBob = await t.call('POST', `${V3}/user/${bobId}/filter`, { user: alice, body: {} })
      expect(forBob).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const readAlice = await t.call('GET', `${V3}/user/${aliceId}/filter/${filterId}`, {
        user: bob,
      })
      expect(readAlice).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      // Bob's own namespace does not hold alice's filter.
      const asBob = await t.call('GET', `${V3}/user/${bobId}/filter/${filterId}`, { user: bob })
      expect(asBob).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      for (const id of ['999999', 'abc', '{}', '1.5']) {
        const missing = await t.call(
          'GET',
          `${V3}/user/${aliceId}/filter/${encodeURIComponent(id)}`,
          {
            user: alice,
          },
        )
        expect(missing, id).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      }
      const long = await t.call('GET', `${V3}/user/${aliceId}/filter/${'9'.repeat(65)}`, {
        user: alice,
      })
      expect(long).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })

      for (const body of [
        { room: { timeline: { limit: 'ten' } } },
        { room: { rooms: 'not a list' } },
        { event_format: 'xml' },
        { account_data: { senders: ['nobody'] } },
      ]) {
        const bad = await t.call('POST', `${V3}/user/${aliceId}/filter`, { user: alice, body })
        expect(bad, JSON.stringify(body)).toMatchObject({
          status: 400,
          body: { errcode: 'M_BAD_JSON' },
        })
      }
      const notObject = await t.call('POST', `${V3}/user/${aliceId}/filter`, {
        user: alice,
        raw: '[]',
      })
      expect(notObject).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const notJson = await t.call('POST', `${V3}/user/${aliceId}/filter`, {
        user: alice,
        raw: '{',
      })
      expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const badUser = await t.call('POST', `${V3}/user/alice/filter`, { user: alice, body: {} })
      expect(badUser).toMatchObject({ status: 400 })
      const anonymous = await t.call('POST', `${V3}/user/${aliceId}/filter`, { body: {} })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })
  })
}
