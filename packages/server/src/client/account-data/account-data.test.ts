import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const GLOBAL = `${V3}/user/{userId}/account_data/{type}`
const ROOM = `${V3}/user/{userId}/rooms/{roomId}/account_data/{type}`
const ROOM_ID = '!room:example.org'

for (const kind of roomTestStorages()) {
  describe(`account data on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('stores global and room account data apart, and replaces on a second PUT', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const user = encodeURIComponent(alice.userId)
      const room = encodeURIComponent(ROOM_ID)
      const put = await t.call('PUT', `${V3}/user/${user}/account_data/org.example.a`, {
        user: alice,
        body: { v: 1 },
      })
      expect(put.status).toBe(200)
      expectMatchesSpec('client-server', 'account-data.yaml', 'PUT', GLOBAL, 200, put.body)
      expect(put.body).toEqual({})
      const putRoom = await t.call(
        'PUT',
        `${V3}/user/${user}/rooms/${room}/account_data/org.example.a`,
        {
          user: alice,
          body: { v: 'room' },
        },
      )
      expect(putRoom.status).toBe(200)
      expectMatchesSpec('client-server', 'account-data.yaml', 'PUT', ROOM, 200, putRoom.body)

      const got = await t.call('GET', `${V3}/user/${user}/account_data/org.example.a`, {
        user: alice,
      })
      expectMatchesSpec('client-server', 'account-data.yaml', 'GET', GLOBAL, 200, got.body)
      expect(got).toEqual({ status: 200, body: { v: 1 } })
      const gotRoom = await t.call(
        'GET',
        `${V3}/user/${user}/rooms/${room}/account_data/org.example.a`,
        {
          user: alice,
        },
      )
      expectMatchesSpec('client-server', 'account-data.yaml', 'GET', ROOM, 200, gotRoom.body)
      expect(gotRoom).toEqual({ status: 200, body: { v: 'room' } })

      await t.call('PUT', `${V3}/user/${user}/account_data/org.example.a`, {
        user: alice,
        body: { v: 2, nested: { deep: [1, 'two', null] } },
      })
      const replaced = await t.call(
        'GET',
        `/_matrix/client/r0/user/${user}/account_data/org.example.a`,
        {
          user: alice,
        },
      )
      expect(replaced.body).toEqual({ v: 2, nested: { deep: [1, 'two', null] } })
    })

    it('answers 404 for data never set, and 403 for another user', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const user = encodeURIComponent(alice.userId)
      const missing = await t.call('GET', `${V3}/user/${user}/account_data/nothing`, {
        user: alice,
      })
      expect(missing).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const missingRoom = await t.call(
        'GET',
        `${V3}/user/${user}/rooms/${encodeURIComponent(ROOM_ID)}/account_data/nothing`,
        { user: alice },
      )
      expect(missingRoom).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })

      await t.call('PUT', `${V3}/user/${user}/account_data/secret`, { user: alice, body: { s: 1 } })
      const peek = await t.call('GET', `${V3}/user/${user}/account_data/secret`, { user: bob })
      expect(peek).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const write = await t.call('PUT', `${V3}/user/${user}/account_data/secret`, {
        user: bob,
        body: { s: 2 },
      })
      expect(write).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const writeRoom = await t.call(
        'PUT',
        `${V3}/user/${user}/rooms/${encodeURIComponent(ROOM_ID)}/account_data/x`,
        { user: bob, body: {} },
      )
      expect(writeRoom).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expect(
        (await t.call('GET', `${V3}/user/${user}/account_data/secret`, { user: alice })).body,
      ).toEqual({
        s: 1,
      })
    })

    it('refuses server-managed types with 405, but lets them be read', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const user = encodeURIComponent(alice.userId)
      for (const type of ['m.fully_read', 'm.push_rules']) {
        const global = await t.call('PUT', `${V3}/user/${user}/account_data/${type}`, {
          user: alice,
          body: {},
        })
        expect(global, type).toMatchObject({ status: 405, body: { errcode: 'M_BAD_JSON' } })
        const room = await t.call(
          'PUT',
          `${V3}/user/${user}/rooms/${encodeURIComponent(ROOM_ID)}/account_data/${type}`,
          { user: alice, body: { event_id: '$x' } },
        )
        expect(room, type).toMatchObject({ status: 405, body: { errcode: 'M_BAD_JSON' } })
      }
      // Reading is allowed (404 here because nothing set it).
      const read = await t.call('GET', `${V3}/user/${user}/account_data/m.push_rules`, {
        user: alice,
      })
      expect(read).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('refuses bad room IDs, bad types and bodies that are not objects', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const user = encodeURIComponent(alice.userId)
      const badRoom = await t.call('PUT', `${V3}/user/${user}/rooms/not-a-room/account_data/x`, {
        user: alice,
        body: {},
      })
      expect(badRoom).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const badRoomGet = await t.call(
        'GET',
        `${V3}/user/${user}/rooms/%23alias%3Ax/account_data/x`,
        {
          user: alice,
        },
      )
      expect(badRoomGet).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const longType = await t.call('PUT', `${V3}/user/${user}/account_data/${'x'.repeat(256)}`, {
        user: alice,
        body: {},
      })
      expect(longType).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const array = await t.call('PUT', `${V3}/user/${user}/account_data/x`, {
        user: alice,
        raw: '[1]',
      })
      expect(array).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const text = await t.call('PUT', `${V3}/user/${user}/account_data/x`, {
        user: alice,
        raw: 'hello',
      })
      expect(text).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const badUser = await t.call('GET', `${V3}/user/nobody/account_data/x`, { user: alice })
      expect(badUser.status).toBe(400)
      const anonymous = await t.call('GET', `${V3}/user/${user}/account_data/x`)
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })
  })
}
