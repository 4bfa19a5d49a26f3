import type pg from 'pg'
import type { Logger } from '../../logging/logger.js'
import {
  UIA_SESSION_COLUMNS,
  UIA_STAGE_COLUMNS,
  uiaSessionFromRows,
  type UiaSessionRow,
  type UiaStageRow,
} from '../engine/uia-session-rows.js'
import type { NewUiaSession, UiaSession, UiaSessionStore } from '../uia-session-store.js'
import { pooledTransaction } from './postgres-connection.js'

/** PostgreSQL's SQLSTATE for a foreign key violation. */
const FOREIGN_KEY_VIOLATION = '23503'

export class PostgresUiaSessionStore implements UiaSessionStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async createSession(session: NewUiaSession): Promise<void> {
    await this.#pool.query(
      `INSERT INTO uia_sessions (${UIA_SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        session.sessionId,
        session.kind,
        session.userId ?? null,
        session.paramsHash,
        session.createdTs,
        session.expiresTs,
      ],
    )
  }

  async getSession(sessionId: string): Promise<UiaSession | undefined> {
    const [sessions, stages] = await Promise.all([
      this.#pool.query<UiaSessionRow>(
        `SELECT ${UIA_SESSION_COLUMNS} FROM uia_sessions WHERE session_id = $1`,
        [sessionId],
      ),
      this.#pool.query<UiaStageRow>(
        `SELECT ${UIA_STAGE_COLUMNS} FROM uia_session_stages WHERE session_id = $1 ORDER BY id`,
        [sessionId],
      ),
    ])
    const row = sessions.rows[0]
    return row === undefined ? undefined : uiaSessionFromRows(row, stages.rows)
  }

  async completeStage(sessionId: string, stage: string, result: string): Promise<boolean> {
    try {
      const { rowCount } = await this.#pool.query(
        `INSERT INTO uia_session_stages (session_id, stage, result)
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM uia_sessions WHERE session_id = $1)
         ON CONFLICT (session_id, stage) DO NOTHING`,
        [sessionId, stage, result],
      )
      return rowCount === 1
    } catch (error) {
      // The session was deleted by another process between the check and the insert.
      if (isForeignKeyViolation(error)) return false
      throw error
    }
  }

  takeSession(sessionId: string): Promise<UiaSession | undefined> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      // The row lock makes a concurrent take wait, then find nothing; a concurrent completeStage
      // waits too, then fails its foreign key check.
      const sessions = await client.query<UiaSessionRow>(
        `SELECT ${UIA_SESSION_COLUMNS} FROM uia_sessions WHERE session_id = $1 FOR UPDATE`,
        [sessionId],
      )
      const row = sessions.rows[0]
      if (row === undefined) return undefined
      const stages = await this.#deleteStages(client, [sessionId])
      await client.query('DELETE FROM uia_sessions WHERE session_id = $1', [sessionId])
      return uiaSessionFromRows(row, stages)
    })
  }

  deleteExpiredSessions(now: number, limit: number): Promise<readonly UiaSession[]> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      // SKIP LOCKED: processes sweeping at once take disjoint sessions, so each is released once.
      const sessions = await client.query<UiaSessionRow>(
        `SELECT ${UIA_SESSION_COLUMNS} FROM uia_sessions WHERE expires_ts <= $1
         ORDER BY expires_ts LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      )
      if (sessions.rows.length === 0) return []
      const ids = sessions.rows.map((row) => row.session_id)
      const stages = await this.#deleteStages(client, ids)
      await client.query('DELETE FROM uia_sessions WHERE session_id = ANY($1)', [ids])
      return sessions.rows.map((row) => uiaSessionFromRows(row, stages))
    })
  }

  /** Deletes the sessions' stages and returns them in the order they were completed. */
  async #deleteStages(client: pg.ClientBase, ids: readonly string[]): Promise<UiaStageRow[]> {
    const { rows } = await client.query<UiaStageRow & { readonly id: number }>(
      `DELETE FROM uia_session_stages WHERE session_id = ANY($1) RETURNING id, ${UIA_STAGE_COLUMNS}`,
      [ids],
    )
    return rows.sort((a, b) => a.id - b.id)
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { readonly code: unknown }).code === FOREIGN_KEY_VIOLATION
  )
}
