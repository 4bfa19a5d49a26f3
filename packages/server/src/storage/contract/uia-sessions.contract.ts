import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { NewUiaSession } from '../uia-session-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId

function session(id: string, overrides: Partial<NewUiaSession> = {}): NewUiaSession {
  return {
    sessionId: id,
    kind: 'delete_devices',
    userId: alice,
    paramsHash: 'hash-1',
    createdTs: 1000,
    expiresTs: 2000,
    ...overrides,
  }
}

export function uiaSessionsContract(harness: StorageHarness): void {
  describe('interactive-auth sessions', () => {
    const { open, reopen, openSibling } = useStorages(harness)

    it('creates and reads sessions, with and without a user', async () => {
      const storage = await open()
      await storage.uiaSessions.createSession(session('s1'))
      await storage.uiaSessions.createSession({
        sessionId: 's2',
        kind: 'register',
        paramsHash: 'hash-2',
        createdTs: 5,
        expiresTs: 6,
      })
      expect(await storage.uiaSessions.getSession('s1')).toEqual({
        sessionId: 's1',
        kind: 'delete_devices',
        userId: alice,
        paramsHash: 'hash-1',
        createdTs: 1000,
        expiresTs: 2000,
        completed: new Map(),
      })
      expect((await storage.uiaSessions.getSession('s2'))?.userId).toBeUndefined()
      expect(await storage.uiaSessions.getSession('nope')).toBeUndefined()
      await expect(storage.uiaSessions.createSession(session('s1'))).rejects.toThrow()
    })

    it('records each stage once, in order, with what it recorded', async () => {
      const storage = await open()
      await storage.uiaSessions.createSession(session('s1'))
      expect(
        await storage.uiaSessions.completeStage('s1', 'm.login.registration_token', 'tok'),
      ).toBe(true)
      expect(await storage.uiaSessions.completeStage('s1', 'm.login.dummy', '')).toBe(true)
      expect(await storage.uiaSessions.completeStage('s1', 'm.login.dummy', 'again')).toBe(false)
      expect(await storage.uiaSessions.completeStage('missing', 'm.login.dummy', '')).toBe(false)
      const read = await storage.uiaSessions.getSession('s1')
      expect([...(read?.completed ?? [])]).toEqual([
        ['m.login.registration_token', 'tok'],
        ['m.login.dummy', ''],
      ])
    })

    it('of concurrent completions of one stage, exactly one is recorded', async () => {
      const storage = await open()
      await storage.uiaSessions.createSession(session('s1'))
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          storage.uiaSessions.completeStage('s1', 'm.login.password', `r${i}`),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('takes a session once: it is gone afterwards, stages and all', async () => {
      const storage = await open()
      await storage.uiaSessions.createSession(session('s1'))
      await storage.uiaSessions.completeStage('s1', 'm.login.password', '')
      const results = await Promise.all([
        storage.uiaSessions.takeSession('s1'),
        storage.uiaSessions.takeSession('s1'),
      ])
      const taken = results.filter((r) => r !== undefined)
      expect(taken).toHaveLength(1)
      expect([...(taken[0]?.completed.keys() ?? [])]).toEqual(['m.login.password'])
      expect(await storage.uiaSessions.getSession('s1')).toBeUndefined()
      expect(await storage.uiaSessions.completeStage('s1', 'm.login.dummy', '')).toBe(false)
      // The ID can be used again, with no stages left over.
      await storage.uiaSessions.createSession(session('s1'))
      expect((await storage.uiaSessions.getSession('s1'))?.completed.size).toBe(0)
    })

    it('deletes expired sessions in batches and returns them with their stages', async () => {
      const storage = await open()
      for (let i = 0; i < 5; i++) {
        await storage.uiaSessions.createSession(session(`old${i}`, { expiresTs: 100 + i }))
      }
      await storage.uiaSessions.createSession(session('live', { expiresTs: 10_000 }))
      await storage.uiaSessions.completeStage('old1', 'm.login.registration_token', 'tok')
      const first = await storage.uiaSessions.deleteExpiredSessions(104, 3)
      expect(first.map((s) => s.sessionId)).toEqual(['old0', 'old1', 'old2'])
      expect(first[1]?.completed.get('m.login.registration_token')).toBe('tok')
      const second = await storage.uiaSessions.deleteExpiredSessions(104, 3)
      expect(second.map((s) => s.sessionId)).toEqual(['old3', 'old4'])
      expect(await storage.uiaSessions.deleteExpiredSessions(104, 3)).toEqual([])
      expect(await storage.uiaSessions.getSession('live')).toBeDefined()
      expect(await storage.uiaSessions.getSession('old1')).toBeUndefined()
    })

    it.runIf(harness.reopen !== undefined)('keeps sessions across a restart', async () => {
      const storage = await open()
      await storage.uiaSessions.createSession(session('s1'))
      await storage.uiaSessions.completeStage('s1', 'm.login.password', '')
      const again = await reopen(storage)
      expect((await again.uiaSessions.getSession('s1'))?.completed.has('m.login.password')).toBe(
        true,
      )
    })

    it.runIf(harness.openSibling !== undefined)(
      'shares sessions between processes, and each expired one is swept by one of them',
      async () => {
        const storage = await open()
        const sibling = await openSibling(storage)
        await storage.uiaSessions.createSession(session('s1'))
        expect(await sibling.uiaSessions.completeStage('s1', 'm.login.password', '')).toBe(true)
        expect((await storage.uiaSessions.getSession('s1'))?.completed.size).toBe(1)
        for (let i = 0; i < 20; i++) {
          await storage.uiaSessions.createSession(session(`old${i}`, { expiresTs: 1 }))
        }
        const [a, b] = await Promise.all([
          storage.uiaSessions.deleteExpiredSessions(10, 100),
          sibling.uiaSessions.deleteExpiredSessions(10, 100),
        ])
        const swept = [...a, ...b].map((s) => s.sessionId).sort()
        expect(swept).toHaveLength(20)
        expect(new Set(swept).size).toBe(20)
      },
    )
  })
}
