import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { NewReport, ReportRecord, ReportTarget } from '../report-store.js'

/** A content_reports row as both dialects read it. */
export interface ReportRow {
  readonly id: number | string
  readonly kind: string
  readonly reporter: string
  readonly room_id: string | null
  readonly event_id: string | null
  readonly user_id: string | null
  readonly reason: string | null
  readonly score: number | string | null
  readonly received_ts: number | string
}

/** The column values of a new report, in the order of REPORT_COLUMNS. */
export const REPORT_COLUMNS =
  'kind, reporter, room_id, event_id, user_id, reason, score, received_ts' as const

export function reportValues(report: NewReport): unknown[] {
  const { target } = report
  const roomId = target.kind === 'user' ? null : target.roomId
  const eventId = target.kind === 'event' ? target.eventId : null
  const userId =
    target.kind === 'user' ? target.userId : target.kind === 'event' ? target.sender : null
  return [
    target.kind,
    report.reporter,
    roomId,
    eventId,
    userId,
    report.reason ?? null,
    report.score ?? null,
    report.receivedTs,
  ]
}

/** A stored row back as a record; rows are only written by reportValues, so they are whole. */
export function reportFromRow(row: ReportRow): ReportRecord {
  return {
    id: Number(row.id),
    reporter: row.reporter as UserId,
    target: targetOf(row),
    reason: row.reason ?? undefined,
    score: row.score === null ? undefined : Number(row.score),
    receivedTs: Number(row.received_ts),
  }
}

function targetOf(row: ReportRow): ReportTarget {
  const roomId = row.room_id as RoomId
  switch (row.kind) {
    case 'event':
      return {
        kind: 'event',
        roomId,
        eventId: row.event_id as EventId,
        sender: row.user_id as UserId,
      }
    case 'room':
      return { kind: 'room', roomId }
    case 'user':
      return { kind: 'user', userId: row.user_id as UserId }
    default:
      throw new Error(`report ${String(row.id)} has an unknown kind ${row.kind}`)
  }
}
