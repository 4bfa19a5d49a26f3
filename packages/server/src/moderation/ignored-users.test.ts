import type { AccountDataRecord } from '../storage/interface.js'
import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  checkIgnoredUserList,
  ignoredUsersFromChanges,
  ignoredUsersIn,
  IGNORED_USER_LIST,
} from './ignored-users.js'

const me = '@me:test' as UserId

describe('checkIgnoredUserList', () => {
  it('accepts the spec shape, an empty map, and extra keys', () => {
    for (const content of [
      { ignored_users: { '@a:test': {} } },
      { ignored_users: {} },
      { ignored_users: { '@a:test': { note: 'x' } }, org_example: 1 },
    ] as JsonObject[]) {
      expect(checkIgnoredUserList(content)).toEqual({ ok: true, value: content })
    }
  })

  it.each<[JsonObject, string]>([
    [{}, 'needs ignored_users'],
    [{ ignored_users: [] }, 'must be an object'],
    [{ ignored_users: ['@a:test'] }, 'must be an object'],
    [{ ignored_users: { alice: {} } }, 'alice is not a user ID'],
    [{ ignored_users: { '@a:test': true } }, 'must map to an object'],
    [{ ignored_users: { '@a:test': {}, '#room:test': {} } }, '#room:test is not a user ID'],
  ])('refuses %j with M_BAD_JSON', (content, message) => {
    const checked = checkIgnoredUserList(content)
    expect(checked.ok).toBe(false)
    if (checked.ok) return
    expect(checked.error.errcode).toBe('M_BAD_JSON')
    expect(checked.error.error).toContain(message)
  })
})

describe('ignoredUsersIn', () => {
  it('reads user IDs leniently and never the viewer', () => {
    const set = ignoredUsersIn(
      { ignored_users: { '@a:test': {}, junk: {}, [me]: {}, '@b:test': 5 } },
      me,
    )
    expect([...set].sort()).toEqual(['@a:test', '@b:test'])
    expect(ignoredUsersIn(undefined, me).size).toBe(0)
    expect(ignoredUsersIn({ ignored_users: 'x' }, me).size).toBe(0)
  })
})

describe('ignoredUsersFromChanges', () => {
  const record = (type: string, content: JsonObject, roomId?: RoomId): AccountDataRecord => ({
    roomId,
    type,
    content,
    streamPosition: 1,
  })

  it('takes the latest global list in the changes, or says there is none', () => {
    expect(ignoredUsersFromChanges([record('m.direct', {})], me)).toBeUndefined()
    const changes = [
      record(IGNORED_USER_LIST, { ignored_users: { '@a:test': {} } }),
      record(IGNORED_USER_LIST, { ignored_users: { '@x:test': {} } }, '!r:test' as RoomId),
      record(IGNORED_USER_LIST, { ignored_users: { '@b:test': {} } }),
    ]
    expect([...(ignoredUsersFromChanges(changes, me) ?? [])]).toEqual(['@b:test'])
    // Emptied: nobody is ignored any more, which is not "no change".
    const emptied = ignoredUsersFromChanges([record(IGNORED_USER_LIST, { ignored_users: {} })], me)
    expect(emptied?.size).toBe(0)
  })
})
