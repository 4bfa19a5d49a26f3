import type { EventId, RoomId, UserId } from '@rhizome/core'

/**
 * Reports of content, rooms and users (client-server-api §Reporting Content), kept for the
 * server's administrators. Reports are only ever added; reading them is for admin tooling.
 */
export type ReportTarget =
  /** An event, with its room and sender as they were when it was reported. */
  | {
      readonly kind: 'event'
      readonly roomId: RoomId
      readonly eventId: EventId
      readonly sender: UserId
    }
  | { readonly kind: 'room'; readonly roomId: RoomId }
  | { readonly kind: 'user'; readonly userId: UserId }

export interface NewReport {
  readonly reporter: UserId
  readonly target: ReportTarget
  /** As the reporter wrote it; undefined when they gave none (event reports only). */
  readonly reason: string | undefined
  /** The `score` (-100 to 0) of clients older than spec v1.18, which removed it. */
  readonly score: number | undefined
  readonly receivedTs: number
}

export interface ReportRecord extends NewReport {
  /** Increasing: a later report has a larger ID. */
  readonly id: number
}

export interface ReportQuery {
  /** Only reports with smaller IDs: the `id` of the last one of the previous page. */
  readonly before?: number
  readonly limit: number
}

export interface ReportStore {
  /** Stores the report durably; returns its ID. */
  add(report: NewReport): Promise<number>
  /** The newest reports first. */
  list(query: ReportQuery): Promise<readonly ReportRecord[]>
}
