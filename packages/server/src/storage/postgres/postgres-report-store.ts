import type { NewReport, ReportQuery, ReportRecord, ReportStore } from '../report-store.js'
import {
  REPORT_COLUMNS,
  reportFromRow,
  reportValues,
  type ReportRow,
} from '../engine/report-rows.js'
import type { Queryable } from './postgres-connection.js'

export class PostgresReportStore implements ReportStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async add(report: NewReport): Promise<number> {
    const { rows } = await this.#db.query<{ id: string }>(
      `INSERT INTO content_reports (${REPORT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING id`,
      reportValues(report),
    )
    const row = rows[0]
    if (row === undefined) throw new Error('INSERT ... RETURNING gave no row')
    return Number(row.id)
  }

  async list(query: ReportQuery): Promise<readonly ReportRecord[]> {
    const { rows } = await this.#db.query<ReportRow>(
      `SELECT id, ${REPORT_COLUMNS} FROM content_reports WHERE id < $1
       ORDER BY id DESC LIMIT $2`,
      [query.before ?? Number.MAX_SAFE_INTEGER, query.limit],
    )
    return rows.map(reportFromRow)
  }
}
