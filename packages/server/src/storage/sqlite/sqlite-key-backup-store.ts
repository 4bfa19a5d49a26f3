import type { JsonObject, UserId } from '@rhizome/core'
import type {
  DeleteVersionOutcome,
  KeyBackupStore,
  KeyBackupVersion,
  KeyReplacementRule,
  KeyScope,
  KeysState,
  PutKeysOutcome,
  RoomKeyRecord,
} from '../key-backup-store.js'
import {
  parseBackupVersion,
  ROOM_KEY_COLUMNS,
  roomKeyFromRow,
  scopeFilter,
  versionFromRow,
  type KeyBackupVersionRow,
  type RoomKeyRow,
} from '../engine/key-backup-rows.js'
import { settle, sqlBool, type SqliteStatements } from './sqlite-statements.js'

const VERSION_SELECT = `SELECT v.version, v.algorithm, v.auth_data, v.etag,
  (SELECT COUNT(*) FROM key_backup_keys k WHERE k.user_id = v.user_id AND k.version = v.version)
    AS count
  FROM key_backup_versions v`

const positional = (): string => '?'

export class SqliteKeyBackupStore implements KeyBackupStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  createVersion(userId: UserId, algorithm: string, authData: JsonObject): Promise<string> {
    return settle(() => {
      const create = this.#q.db.transaction(() => {
        const row = this.#q.one<{ last_version: number }>(
          `INSERT INTO key_backup_users (user_id, last_version) VALUES (?, 1)
           ON CONFLICT (user_id) DO UPDATE SET last_version = last_version + 1
           RETURNING last_version`,
          userId,
        )
        if (row === undefined) throw new Error('INSERT ... RETURNING gave no row')
        this.#q.run(
          `INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data, etag, deleted)
           VALUES (?, ?, ?, ?, 0, 0)`,
          userId,
          row.last_version,
          algorithm,
          JSON.stringify(authData),
        )
        return String(row.last_version)
      })
      return create.immediate()
    })
  }

  getVersion(userId: UserId, version: string | undefined): Promise<KeyBackupVersion | undefined> {
    return settle(() => {
      const row =
        version === undefined
          ? this.#q.one<KeyBackupVersionRow>(
              `${VERSION_SELECT} WHERE v.user_id = ? AND v.deleted = 0
               ORDER BY v.version DESC LIMIT 1`,
              userId,
            )
          : this.#liveVersion(userId, version)
      return row && versionFromRow(row)
    })
  }

  updateAuthData(userId: UserId, version: string, authData: JsonObject): Promise<boolean> {
    return settle(() => {
      const number = parseBackupVersion(version)
      if (number === undefined) return false
      return (
        this.#q.run(
          `UPDATE key_backup_versions SET auth_data = ?
           WHERE user_id = ? AND version = ? AND deleted = 0`,
          JSON.stringify(authData),
          userId,
          number,
        ) > 0
      )
    })
  }

  deleteVersion(userId: UserId, version: string): Promise<DeleteVersionOutcome> {
    return settle(() => {
      const number = parseBackupVersion(version)
      if (number === undefined) return 'unknown'
      const remove = this.#q.db.transaction((): DeleteVersionOutcome => {
        const row = this.#q.one<{ deleted: number }>(
          'SELECT deleted FROM key_backup_versions WHERE user_id = ? AND version = ?',
          userId,
          number,
        )
        if (row === undefined) return 'unknown'
        if (row.deleted !== 0) return 'already-deleted'
        this.#q.run('DELETE FROM key_backup_keys WHERE user_id = ? AND version = ?', userId, number)
        this.#q.run(
          'UPDATE key_backup_versions SET deleted = 1 WHERE user_id = ? AND version = ?',
          userId,
          number,
        )
        return 'deleted'
      })
      return remove.immediate()
    })
  }

  putKeys(
    userId: UserId,
    version: string,
    keys: readonly RoomKeyRecord[],
    replace: KeyReplacementRule,
  ): Promise<PutKeysOutcome> {
    return settle(() => {
      const put = this.#q.db.transaction((): PutKeysOutcome => {
        const current = this.#q.one<{ version: number }>(
          `SELECT version FROM key_backup_versions WHERE user_id = ? AND deleted = 0
           ORDER BY version DESC LIMIT 1`,
          userId,
        )
        if (current === undefined) return { kind: 'no-backup' }
        if (String(current.version) !== version) {
          return { kind: 'not-current', currentVersion: String(current.version) }
        }
        let written = 0
        for (const key of keys) {
          const stored = this.#q.one<RoomKeyRow>(
            `SELECT ${ROOM_KEY_COLUMNS} FROM key_backup_keys
             WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`,
            userId,
            current.version,
            key.roomId,
            key.sessionId,
          )
          if (stored !== undefined && !replace(roomKeyFromRow(stored), key)) continue
          this.#q.run(
            `INSERT INTO key_backup_keys (user_id, version, ${ROOM_KEY_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
               first_message_index = excluded.first_message_index,
               forwarded_count = excluded.forwarded_count,
               is_verified = excluded.is_verified,
               session_data = excluded.session_data`,
            userId,
            current.version,
            key.roomId,
            key.sessionId,
            key.firstMessageIndex,
            key.forwardedCount,
            sqlBool(key.isVerified),
            JSON.stringify(key.sessionData),
          )
          written++
        }
        return { kind: 'stored', ...this.#afterChange(userId, current.version, written > 0) }
      })
      return put.immediate()
    })
  }

  getKeys(
    userId: UserId,
    version: string,
    scope: KeyScope,
  ): Promise<readonly RoomKeyRecord[] | undefined> {
    return settle(() => {
      const read = this.#q.db.transaction(() => {
        const live = this.#liveVersion(userId, version)
        if (live === undefined) return undefined
        const filter = scopeFilter(scope, positional, 3)
        return this.#q
          .all<RoomKeyRow>(
            `SELECT ${ROOM_KEY_COLUMNS} FROM key_backup_keys
             WHERE user_id = ? AND version = ?${filter.sql}
             ORDER BY room_id, session_id`,
            userId,
            live.version,
            ...filter.values,
          )
          .map(roomKeyFromRow)
      })
      // DEFERRED: a read that sees one snapshot, without taking the write lock.
      return read.deferred()
    })
  }

  deleteKeys(userId: UserId, version: string, scope: KeyScope): Promise<KeysState | undefined> {
    return settle(() => {
      const remove = this.#q.db.transaction((): KeysState | undefined => {
        const live = this.#liveVersion(userId, version)
        if (live === undefined) return undefined
        const number = Number(live.version)
        const filter = scopeFilter(scope, positional, 3)
        const deleted = this.#q.run(
          `DELETE FROM key_backup_keys WHERE user_id = ? AND version = ?${filter.sql}`,
          userId,
          number,
          ...filter.values,
        )
        return this.#afterChange(userId, number, deleted > 0)
      })
      return remove.immediate()
    })
  }

  #liveVersion(userId: UserId, version: string): KeyBackupVersionRow | undefined {
    const number = parseBackupVersion(version)
    if (number === undefined) return undefined
    return this.#q.one<KeyBackupVersionRow>(
      `${VERSION_SELECT} WHERE v.user_id = ? AND v.version = ? AND v.deleted = 0`,
      userId,
      number,
    )
  }

  /** Moves the etag on when the keys changed, and reads the version's state. */
  #afterChange(userId: UserId, version: number, changed: boolean): KeysState {
    if (changed) {
      this.#q.run(
        'UPDATE key_backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?',
        userId,
        version,
      )
    }
    const row = this.#q.one<{ etag: number; count: number }>(
      `SELECT etag, (SELECT COUNT(*) FROM key_backup_keys WHERE user_id = ? AND version = ?) AS count
       FROM key_backup_versions WHERE user_id = ? AND version = ?`,
      userId,
      version,
      userId,
      version,
    )
    if (row === undefined) throw new Error('the key backup version vanished inside its transaction')
    return { etag: String(row.etag), count: row.count }
  }
}
