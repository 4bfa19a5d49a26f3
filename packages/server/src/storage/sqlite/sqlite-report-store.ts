import type { NewReport, ReportQuery, ReportRecord, ReportStore } from '../report-store.js'
import {
  REPORT_COLUMNS,
  reportFromRow,
  reportValues,
  type ReportRow,
} from '../engine/report-rows.js'
import { settle, type SqliteStatements } from './sqlite-statements.js'

export class SqliteReportStore implements ReportStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  add(report: NewReport): Promise<number> {
    return settle(() => {
      const row = this.#q.one<{ id: number }>(
        `INSERT INTO content_reports (${REPORT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id`,
        ...reportValues(report),
      )
      if (row === undefined) throw new Error('INSERT ... RETURNING gave no row')
      return row.id
    })
  }

  list(query: ReportQuery): Promise<readonly ReportRecord[]> {
    return settle(() =>
      this.#q
        .all<ReportRow>(
          `SELECT id, ${REPORT_COLUMNS} FROM content_reports WHERE id < ?
           ORDER BY id DESC LIMIT ?`,
          query.before ?? Number.MAX_SAFE_INTEGER,
          query.limit,
        )
        .map(reportFromRow),
    )
  }
}
