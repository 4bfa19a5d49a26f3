import {
  UIA_SESSION_COLUMNS,
  UIA_STAGE_COLUMNS,
  uiaSessionFromRows,
  type UiaSessionRow,
  type UiaStageRow,
} from '../engine/uia-session-rows.js'
import type { NewUiaSession, UiaSession, UiaSessionStore } from '../uia-session-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

export class SqliteUiaSessionStore implements UiaSessionStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  createSession(session: NewUiaSession): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO uia_sessions (${UIA_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
        session.sessionId,
        session.kind,
        session.userId ?? null,
        session.paramsHash,
        session.createdTs,
        session.expiresTs,
      )
    })
  }

  getSession(sessionId: string): Promise<UiaSession | undefined> {
    return settle(() => this.#read(sessionId))
  }

  completeStage(sessionId: string, stage: string, result: string): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        `INSERT INTO uia_session_stages (session_id, stage, result)
         SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM uia_sessions WHERE session_id = ?)
         ON CONFLICT (session_id, stage) DO NOTHING`,
        sessionId,
        stage,
        result,
        sessionId,
      )
      return changed === 1
    })
  }

  takeSession(sessionId: string): Promise<UiaSession | undefined> {
    return settle(() =>
      this.#q.db
        .transaction(() => {
          const session = this.#read(sessionId)
          // Its stages go with it (ON DELETE CASCADE).
          if (session !== undefined) {
            this.#q.run('DELETE FROM uia_sessions WHERE session_id = ?', sessionId)
          }
          return session
        })
        .immediate(),
    )
  }

  deleteExpiredSessions(now: number, limit: number): Promise<readonly UiaSession[]> {
    return settle(() =>
      this.#q.db
        .transaction(() => {
          const rows = this.#q.all<UiaSessionRow>(
            `SELECT ${UIA_SESSION_COLUMNS} FROM uia_sessions WHERE expires_ts <= ?
             ORDER BY expires_ts LIMIT ?`,
            now,
            limit,
          )
          if (rows.length === 0) return []
          const ids = sqlList(rows.map((row) => row.session_id))
          const stages = this.#q.all<UiaStageRow>(
            `SELECT ${UIA_STAGE_COLUMNS} FROM uia_session_stages
             WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
            ids,
          )
          this.#q.run(
            'DELETE FROM uia_sessions WHERE session_id IN (SELECT value FROM json_each(?))',
            ids,
          )
          return rows.map((row) => uiaSessionFromRows(row, stages))
        })
        .immediate(),
    )
  }

  #read(sessionId: string): UiaSession | undefined {
    const row = this.#q.one<UiaSessionRow>(
      `SELECT ${UIA_SESSION_COLUMNS} FROM uia_sessions WHERE session_id = ?`,
      sessionId,
    )
    if (row === undefined) return undefined
    const stages = this.#q.all<UiaStageRow>(
      `SELECT ${UIA_STAGE_COLUMNS} FROM uia_session_stages WHERE session_id = ? ORDER BY id`,
      sessionId,
    )
    return uiaSessionFromRows(row, stages)
  }
}
