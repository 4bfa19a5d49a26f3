import type { UserId } from '@rhizome/core'
import type { UiaSession } from '../uia-session-store.js'

/** uia_sessions and uia_session_stages rows, as both dialects select them. */
export interface UiaSessionRow {
  readonly session_id: string
  readonly kind: string
  readonly user_id: string | null
  readonly params_hash: string
  readonly created_ts: number
  readonly expires_ts: number
}

export interface UiaStageRow {
  readonly session_id: string
  readonly stage: string
  readonly result: string
}

export const UIA_SESSION_COLUMNS = 'session_id, kind, user_id, params_hash, created_ts, expires_ts'
export const UIA_STAGE_COLUMNS = 'session_id, stage, result'

/** A session with its stages, picked from `stages` (which may hold other sessions' too). */
export function uiaSessionFromRows(row: UiaSessionRow, stages: readonly UiaStageRow[]): UiaSession {
  const completed = new Map<string, string>()
  for (const stage of stages) {
    if (stage.session_id === row.session_id) completed.set(stage.stage, stage.result)
  }
  return {
    sessionId: row.session_id,
    kind: row.kind,
    // Stored from a parsed UserId, hence the cast back to the brand.
    userId: row.user_id === null ? undefined : (row.user_id as UserId),
    paramsHash: row.params_hash,
    createdTs: row.created_ts,
    expiresTs: row.expires_ts,
    completed,
  }
}
