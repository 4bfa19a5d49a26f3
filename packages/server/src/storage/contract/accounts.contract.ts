import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId

async function userWithDevices(storage: Storage, userId: UserId, devices: string[]): Promise<void> {
  const created = await storage.accounts.createUser({ userId, passwordHash: 'h', createdTs: 1000 })
  expect(created.ok).toBe(true)
  for (const deviceId of devices) {
    await storage.accounts.createDevice({ userId, deviceId, createdTs: 1001 })
    await storage.accounts.createAccessToken({
      tokenHash: `hash-${userId}-${deviceId}`,
      userId,
      deviceId,
      createdTs: 1002,
    })
  }
}

export function accountsContract(harness: StorageHarness): void {
  describe('accounts', () => {
    const { open } = useStorages(harness)

    it('creates users, and a taken ID or localpart is M_USER_IN_USE', async () => {
      const storage = await open()
      const created = await storage.accounts.createUser({
        userId: alice,
        passwordHash: '$argon2id$x',
        isAdmin: true,
        createdTs: 1234,
      })
      expect(created).toEqual({
        ok: true,
        value: {
          userId: alice,
          localpart: 'alice',
          passwordHash: '$argon2id$x',
          isAdmin: true,
          isDeactivated: false,
          createdTs: 1234,
        },
      })
      const again = await storage.accounts.createUser({ userId: alice, createdTs: 1 })
      expect(again.ok).toBe(false)
      if (!again.ok) expect(again.error.errcode).toBe('M_USER_IN_USE')
      expect((await storage.accounts.getUser(alice))?.createdTs).toBe(1234)
      expect(await storage.accounts.getUser(bob)).toBeUndefined()
      const passwordless = await storage.accounts.createUser({ userId: bob, createdTs: 5 })
      expect(passwordless.ok && passwordless.value.passwordHash).toBeUndefined()
    })

    it('of concurrent registrations of one user, exactly one wins', async () => {
      const storage = await open()
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          storage.accounts.createUser({ userId: alice, passwordHash: `h${i}`, createdTs: i }),
        ),
      )
      expect(results.filter((r) => r.ok)).toHaveLength(1)
    })

    it('changes passwords and admin flags, and reports unknown users', async () => {
      const storage = await open()
      await storage.accounts.createUser({ userId: alice, passwordHash: 'old', createdTs: 1 })
      expect(await storage.accounts.setPasswordHash(alice, 'new')).toBe(true)
      expect((await storage.accounts.getUser(alice))?.passwordHash).toBe('new')
      expect(await storage.accounts.setPasswordHash(alice, undefined)).toBe(true)
      expect((await storage.accounts.getUser(alice))?.passwordHash).toBeUndefined()
      expect(await storage.accounts.setAdmin(alice, true)).toBe(true)
      expect((await storage.accounts.getUser(alice))?.isAdmin).toBe(true)
      expect(await storage.accounts.setPasswordHash(bob, 'x')).toBe(false)
      expect(await storage.accounts.setAdmin(bob, true)).toBe(false)
    })

    it('devices: create keeps an existing one, update, seen, list, delete', async () => {
      const storage = await open()
      await storage.accounts.createUser({ userId: alice, createdTs: 1 })
      const first = await storage.accounts.createDevice({
        userId: alice,
        deviceId: 'PHONE',
        displayName: 'Phone',
        createdTs: 10,
      })
      expect(first).toEqual({
        created: true,
        device: {
          userId: alice,
          deviceId: 'PHONE',
          displayName: 'Phone',
          lastSeenTs: undefined,
          lastSeenIp: undefined,
          createdTs: 10,
        },
      })
      const again = await storage.accounts.createDevice({
        userId: alice,
        deviceId: 'PHONE',
        createdTs: 99,
      })
      expect(again).toEqual({ created: false, device: first.device })
      await storage.accounts.createDevice({ userId: alice, deviceId: 'LAPTOP', createdTs: 11 })
      expect(await storage.accounts.updateDeviceDisplayName(alice, 'LAPTOP', 'Laptop')).toBe(true)
      expect(await storage.accounts.updateDeviceDisplayName(alice, 'NOPE', 'x')).toBe(false)
      await storage.accounts.recordDeviceSeen(alice, 'PHONE', 500, '192.0.2.1')
      const phone = await storage.accounts.getDevice(alice, 'PHONE')
      expect(phone).toMatchObject({ lastSeenTs: 500, lastSeenIp: '192.0.2.1' })
      expect(
        (await storage.accounts.listDevices(alice)).map((d) => [d.deviceId, d.displayName]),
      ).toEqual([
        ['LAPTOP', 'Laptop'],
        ['PHONE', 'Phone'],
      ])
      expect(await storage.accounts.deleteDevices(alice, ['LAPTOP', 'NOPE'])).toBe(1)
      expect(await storage.accounts.getDevice(alice, 'LAPTOP')).toBeUndefined()
      expect(await storage.accounts.listDevices(bob)).toEqual([])
      await expect(
        storage.accounts.createDevice({ userId: bob, deviceId: 'X', createdTs: 1 }),
      ).rejects.toThrow()
    })

    it('access tokens: lookup by hash, touch, delete one, delete all but one', async () => {
      const storage = await open()
      await userWithDevices(storage, alice, ['A', 'B', 'C'])
      const token = await storage.accounts.lookupAccessToken(`hash-${alice}-A`)
      expect(token).toEqual({
        userId: alice,
        deviceId: 'A',
        isAdmin: false,
        isDeactivated: false,
        createdTs: 1002,
        lastUsedTs: undefined,
      })
      await storage.accounts.touchAccessToken(`hash-${alice}-A`, 2000)
      expect((await storage.accounts.lookupAccessToken(`hash-${alice}-A`))?.lastUsedTs).toBe(2000)
      expect(await storage.accounts.lookupAccessToken('unknown')).toBeUndefined()
      expect(await storage.accounts.deleteAccessToken(`hash-${alice}-B`)).toBe(true)
      expect(await storage.accounts.deleteAccessToken(`hash-${alice}-B`)).toBe(false)
      await storage.accounts.createAccessToken({
        tokenHash: 'second-A',
        userId: alice,
        deviceId: 'A',
        createdTs: 3,
      })
      expect(await storage.accounts.deleteAllAccessTokens(alice, 'second-A')).toBe(2)
      expect(await storage.accounts.lookupAccessToken('second-A')).toBeDefined()
      expect(await storage.accounts.deleteAllAccessTokens(alice)).toBe(1)
      expect(await storage.accounts.lookupAccessToken('second-A')).toBeUndefined()
      // A token needs its device.
      await expect(
        storage.accounts.createAccessToken({
          tokenHash: 't',
          userId: alice,
          deviceId: 'Z',
          createdTs: 1,
        }),
      ).rejects.toThrow()
    })

    it('deleting a device deletes its tokens', async () => {
      const storage = await open()
      await userWithDevices(storage, alice, ['A', 'B'])
      await storage.accounts.deleteDevices(alice, ['A'])
      expect(await storage.accounts.lookupAccessToken(`hash-${alice}-A`)).toBeUndefined()
      expect(await storage.accounts.lookupAccessToken(`hash-${alice}-B`)).toBeDefined()
    })

    it('deactivation forgets the password and removes every device and token', async () => {
      const storage = await open()
      await userWithDevices(storage, alice, ['A', 'B'])
      await userWithDevices(storage, bob, ['A'])
      expect(await storage.accounts.deactivate(alice)).toBe(true)
      expect(await storage.accounts.getUser(alice)).toMatchObject({
        isDeactivated: true,
        passwordHash: undefined,
      })
      expect(await storage.accounts.listDevices(alice)).toEqual([])
      expect(await storage.accounts.lookupAccessToken(`hash-${alice}-A`)).toBeUndefined()
      expect(await storage.accounts.lookupAccessToken(`hash-${bob}-A`)).toBeDefined()
      expect(await storage.accounts.deactivate('@nobody:test' as UserId)).toBe(false)
      // The ID stays taken.
      expect((await storage.accounts.createUser({ userId: alice, createdTs: 1 })).ok).toBe(false)
    })

    it('finds deactivated users still joined, invited or knocking somewhere', async () => {
      const storage = await open()
      const room = new TestRoom()
      const tag = room.roomId.slice(1, 9)
      const [carol, dave, erin, frank] = ['carol', 'dave', 'erin', 'frank'].map(
        (name) => `@${name}-${tag}:test` as UserId,
      )
      for (const user of [room.creator, carol, dave, erin, frank]) {
        if (user === undefined) throw new Error('four users expected')
        await storage.accounts.createUser({ userId: user, createdTs: 1 })
      }
      if (carol === undefined || dave === undefined || erin === undefined || frank === undefined) {
        throw new Error('four users expected')
      }
      await createRoom(storage, room)
      await append(storage, room.member(carol, 'join'))
      await append(storage, room.member(dave, 'invite'))
      await append(storage, room.member(erin, 'leave'))
      await append(storage, room.member(frank, 'join'))
      for (const user of [carol, dave, erin]) await storage.accounts.deactivate(user)
      const found = await storage.accounts.deactivatedUsersInRooms()
      expect(found.filter((user) => user.includes(tag))).toEqual([carol, dave])
      await append(storage, room.member(carol, 'leave'))
      expect(
        (await storage.accounts.deactivatedUsersInRooms()).filter((u) => u.includes(tag)),
      ).toEqual([dave])
    })

    it('registration tokens: uses, pending, expiry, update, list, delete', async () => {
      const storage = await open()
      expect(await storage.accounts.createRegistrationToken({ token: 'two', usesAllowed: 2 })).toBe(
        true,
      )
      expect(await storage.accounts.createRegistrationToken({ token: 'two' })).toBe(false)
      await storage.accounts.createRegistrationToken({ token: 'old', expiryTime: 1000 })
      await storage.accounts.createRegistrationToken({ token: 'free' })

      expect(await storage.accounts.reserveRegistrationToken('two', 0)).toBe(true)
      expect(await storage.accounts.reserveRegistrationToken('two', 0)).toBe(true)
      // Both uses are pending: a third registration must wait for one to be released.
      expect(await storage.accounts.reserveRegistrationToken('two', 0)).toBe(false)
      await storage.accounts.releaseRegistrationToken('two')
      await storage.accounts.completeRegistrationToken('two')
      expect(await storage.accounts.getRegistrationToken('two')).toEqual({
        token: 'two',
        usesAllowed: 2,
        pending: 0,
        completed: 1,
        expiryTime: undefined,
      })
      expect(await storage.accounts.reserveRegistrationToken('two', 0)).toBe(true)
      await storage.accounts.completeRegistrationToken('two')
      expect(await storage.accounts.reserveRegistrationToken('two', 0)).toBe(false)

      expect(await storage.accounts.reserveRegistrationToken('old', 999)).toBe(true)
      expect(await storage.accounts.reserveRegistrationToken('old', 1000)).toBe(false)
      expect(await storage.accounts.reserveRegistrationToken('missing', 0)).toBe(false)
      for (let i = 0; i < 5; i++) {
        expect(await storage.accounts.reserveRegistrationToken('free', 0)).toBe(true)
      }

      const updated = await storage.accounts.updateRegistrationToken('two', { usesAllowed: 5 })
      expect(updated).toMatchObject({ usesAllowed: 5, completed: 2 })
      expect(
        await storage.accounts.updateRegistrationToken('old', {
          usesAllowed: null,
          expiryTime: null,
        }),
      ).toMatchObject({ usesAllowed: undefined, expiryTime: undefined, pending: 1 })
      expect(
        await storage.accounts.updateRegistrationToken('two', { expiryTime: 77 }),
      ).toMatchObject({
        usesAllowed: 5,
        expiryTime: 77,
      })
      expect(
        await storage.accounts.updateRegistrationToken('missing', { usesAllowed: 1 }),
      ).toBeUndefined()
      expect((await storage.accounts.listRegistrationTokens()).map((t) => t.token)).toEqual([
        'free',
        'old',
        'two',
      ])
      expect(await storage.accounts.deleteRegistrationToken('free')).toBe(true)
      expect(await storage.accounts.deleteRegistrationToken('free')).toBe(false)
      expect(await storage.accounts.getRegistrationToken('free')).toBeUndefined()
    })

    it('releasing or completing never takes pending below zero', async () => {
      const storage = await open()
      await storage.accounts.createRegistrationToken({ token: 't' })
      await storage.accounts.releaseRegistrationToken('t')
      await storage.accounts.completeRegistrationToken('t')
      expect(await storage.accounts.getRegistrationToken('t')).toMatchObject({
        pending: 0,
        completed: 1,
      })
    })
  })
}
