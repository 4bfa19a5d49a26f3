import type { EventId, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { NewReport } from '../report-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const reporter = '@reporter:test' as UserId
const spammer = '@spammer:test' as UserId
const roomId = '!room:test' as RoomId

export function reportsContract(harness: StorageHarness): void {
  describe('reports', () => {
    const { open, reopen } = useStorages(harness)

    const reports: readonly NewReport[] = [
      {
        reporter,
        target: { kind: 'event', roomId, eventId: '$bad:test' as EventId, sender: spammer },
        reason: 'spam, with “quotes” and \u{1F4A9}',
        score: -100,
        receivedTs: 1_700_000_000_001,
      },
      {
        reporter,
        target: { kind: 'event', roomId, eventId: '$other:test' as EventId, sender: spammer },
        reason: undefined,
        score: undefined,
        receivedTs: 1_700_000_000_002,
      },
      { reporter, target: { kind: 'room', roomId }, reason: '', score: undefined, receivedTs: 3 },
      {
        reporter: spammer,
        target: { kind: 'user', userId: reporter },
        reason: "'; DROP TABLE content_reports; --",
        score: undefined,
        receivedTs: 4,
      },
    ]

    it('keeps every kind of report as it was given, newest first, and pages by ID', async () => {
      const storage = await open()
      expect(await storage.reports.list({ limit: 10 })).toEqual([])
      const ids: number[] = []
      for (const report of reports) ids.push(await storage.reports.add(report))
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(new Set(ids).size).toBe(ids.length)

      const all = await storage.reports.list({ limit: 10 })
      expect(all).toEqual(reports.map((report, i) => ({ ...report, id: ids[i] })).reverse())
      const firstPage = await storage.reports.list({ limit: 3 })
      expect(firstPage.map((r) => r.id)).toEqual([ids[3], ids[2], ids[1]])
      const rest = await storage.reports.list({ limit: 3, before: firstPage.at(-1)?.id ?? 0 })
      expect(rest.map((r) => r.id)).toEqual([ids[0]])
    })

    it('keeps reports across a restart', async () => {
      if (harness.reopen === undefined) return
      const storage = await open()
      const report = reports[0]
      if (report === undefined) throw new Error('no report')
      const id = await storage.reports.add(report)
      const again = await reopen(storage)
      expect(await again.reports.list({ limit: 1 })).toEqual([{ ...report, id }])
    })
  })
}
