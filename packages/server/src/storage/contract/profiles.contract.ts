import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { searchWords } from '../engine/profile-search-text.js'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, TestRoom } from './test-room.js'

const user = (localpart: string): UserId => `@${localpart}:test` as UserId

async function newUser(storage: Storage, localpart: string, displayName?: string): Promise<UserId> {
  const userId = user(localpart)
  const created = await storage.accounts.createUser({
    userId,
    createdTs: 1000,
    ...(displayName === undefined ? {} : { displayName }),
  })
  expect(created.ok).toBe(true)
  return userId
}

/** A room with the given join rule and history visibility, and these users joined. */
async function roomWith(
  storage: Storage,
  members: readonly UserId[],
  rules: { readonly joinRule?: string; readonly history?: string } = {},
): Promise<TestRoom> {
  const [creator, ...others] = members
  if (creator === undefined) throw new Error('a room needs a creator')
  const room = new TestRoom(creator)
  await append(storage, room.create())
  await append(storage, room.member(creator, 'join'))
  await append(
    storage,
    room.state('m.room.join_rules', '', { join_rule: rules.joinRule ?? 'invite' }),
  )
  await append(
    storage,
    room.state('m.room.history_visibility', '', { history_visibility: rules.history ?? 'shared' }),
  )
  for (const member of others) await append(storage, room.member(member, 'join'))
  return room
}

async function found(
  storage: Storage,
  searcher: UserId,
  term: string,
  limit = 10,
): Promise<UserId[]> {
  const result = await storage.profiles.searchUsers({ searcher, words: searchWords(term), limit })
  return result.users.map((u) => u.userId)
}

export function profilesContract(harness: StorageHarness): void {
  describe('profiles', () => {
    const { open, reopen } = useStorages(harness)

    it('makes a profile with each account, and sets one field at a time', async () => {
      const storage = await open()
      const alice = await newUser(storage, 'alice', 'Alice')
      const bob = await newUser(storage, 'bob')
      expect(await storage.profiles.getProfile(alice)).toEqual({
        userId: alice,
        displayname: 'Alice',
        avatarUrl: undefined,
      })
      expect(await storage.profiles.getProfile(bob)).toEqual({
        userId: bob,
        displayname: undefined,
        avatarUrl: undefined,
      })
      expect(await storage.profiles.getProfile(user('nobody'))).toBeUndefined()

      expect(await storage.profiles.setField(alice, 'avatar_url', 'mxc://test/a')).toEqual({
        userId: alice,
        displayname: 'Alice',
        avatarUrl: 'mxc://test/a',
      })
      expect(await storage.profiles.setField(alice, 'displayname', 'Alice 🐇')).toEqual({
        userId: alice,
        displayname: 'Alice 🐇',
        avatarUrl: 'mxc://test/a',
      })
      expect(await storage.profiles.setField(alice, 'displayname', undefined)).toEqual({
        userId: alice,
        displayname: undefined,
        avatarUrl: 'mxc://test/a',
      })
      const again = await reopen(storage)
      expect(await again.profiles.getProfile(alice)).toEqual({
        userId: alice,
        displayname: undefined,
        avatarUrl: 'mxc://test/a',
      })
    })

    it('keeps both of two changes to different fields made at once', async () => {
      const storage = await open()
      const alice = await newUser(storage, 'alice', 'Alice')
      await Promise.all([
        storage.profiles.setField(alice, 'displayname', 'New'),
        storage.profiles.setField(alice, 'avatar_url', 'mxc://test/new'),
      ])
      expect(await storage.profiles.getProfile(alice)).toEqual({
        userId: alice,
        displayname: 'New',
        avatarUrl: 'mxc://test/new',
      })
    })

    it('finds room-mates and members of public or world-readable rooms, by word prefixes', async () => {
      const storage = await open()
      const me = await newUser(storage, 'me', 'Searcher')
      const alice = await newUser(storage, 'alice', 'Alice Smith')
      const bob = await newUser(storage, 'bob', 'Bobby')
      const carol = await newUser(storage, 'carol.jones')
      const dave = await newUser(storage, 'dave', 'Dave')
      const erin = await newUser(storage, 'erin', 'Erin')
      const frank = await newUser(storage, 'frank', 'Frank')
      await roomWith(storage, [me, alice])
      await roomWith(storage, [bob, carol, dave], { joinRule: 'public' })
      await roomWith(storage, [erin])
      await roomWith(storage, [frank], { history: 'world_readable' })
      await storage.accounts.deactivate(dave)

      expect(await found(storage, me, 'ali')).toEqual([alice])
      expect(await found(storage, me, 'SMI')).toEqual([alice])
      expect(await found(storage, me, 'alice smith')).toEqual([alice])
      // Words match from their start only, and every word must match.
      expect(await found(storage, me, 'lice')).toEqual([])
      expect(await found(storage, me, 'alice bob')).toEqual([])
      expect(await found(storage, me, 'bob')).toEqual([bob])
      // The words of the user ID count as much as those of the display name.
      expect(await found(storage, me, 'jones')).toEqual([carol])
      expect(await found(storage, me, '@carol.jones:test')).toEqual([carol])
      expect(await found(storage, me, 'frank')).toEqual([frank])
      // Erin shares no room with the searcher; Dave is deactivated.
      expect(await found(storage, me, 'erin')).toEqual([])
      expect(await found(storage, me, 'dave')).toEqual([])
      // Erin herself shares her own room with herself.
      expect(await found(storage, erin, 'erin')).toEqual([erin])
      expect(await found(storage, me, '')).toEqual([])
      expect(await found(storage, me, '%')).toEqual([])
    })

    it('ranks whole words first, then users with a display name, and tells when it cut', async () => {
      const storage = await open()
      const me = await newUser(storage, 'me', 'Me')
      const annabel = await newUser(storage, 'annabel', 'Annabel')
      const ann = await newUser(storage, 'zz-ann', 'Ann')
      const anne = await newUser(storage, 'anne')
      const annika = await newUser(storage, 'annika', 'Annika')
      await roomWith(storage, [me, annabel, ann, anne, annika])

      expect(await found(storage, me, 'ann')).toEqual([ann, annabel, annika, anne])
      const cut = await storage.profiles.searchUsers({ searcher: me, words: ['ann'], limit: 2 })
      expect(cut.users.map((u) => u.userId)).toEqual([ann, annabel])
      expect(cut.limited).toBe(true)
      const whole = await storage.profiles.searchUsers({ searcher: me, words: ['ann'], limit: 4 })
      expect(whole.limited).toBe(false)
      expect(whole.users[0]).toEqual({ userId: ann, displayname: 'Ann', avatarUrl: undefined })
    })

    it('reads a join rule whose event holds U+0000 as unset rather than failing the search', async () => {
      const storage = await open()
      const me = await newUser(storage, 'me', 'Me')
      const bob = await newUser(storage, 'bob', 'Bob')
      const room = await roomWith(storage, [bob], { joinRule: 'public' })
      await append(
        storage,
        room.state('m.room.join_rules', '', { join_rule: 'public', note: 'a\u0000b' }),
      )
      expect(await found(storage, me, 'bob')).toEqual([])
      expect(await found(storage, bob, 'bob')).toEqual([bob])
    })

    it('follows memberships and join rules as they change', async () => {
      const storage = await open()
      const me = await newUser(storage, 'me', 'Me')
      const bob = await newUser(storage, 'bob', 'Bob')
      const room = await roomWith(storage, [bob], { joinRule: 'public' })
      expect(await found(storage, me, 'bob')).toEqual([bob])
      await append(storage, room.state('m.room.join_rules', '', { join_rule: 'invite' }))
      expect(await found(storage, me, 'bob')).toEqual([])
      await append(storage, room.member(me, 'join'))
      expect(await found(storage, me, 'bob')).toEqual([bob])
      await append(storage, room.member(me, 'leave'))
      expect(await found(storage, me, 'bob')).toEqual([])
      // A changed display name is found by its new words, and no longer by the old ones.
      await append(storage, room.state('m.room.join_rules', '', { join_rule: 'public' }))
      await storage.profiles.setField(bob, 'displayname', 'Robert')
      expect(await found(storage, me, 'rob')).toEqual([bob])
      await storage.profiles.setField(bob, 'displayname', 'Zed')
      expect(await found(storage, me, 'robert')).toEqual([])
      expect(await found(storage, me, 'zed')).toEqual([bob])
    })
  })
}
