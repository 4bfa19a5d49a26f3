import type { JsonObject, UserId } from '@rhizome/core'
import type pg from 'pg'
import type { Logger } from '../../logging/logger.js'
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
  sessionKey,
  versionFromRow,
  type KeyBackupVersionRow,
  type RoomKeyRow,
} from '../engine/key-backup-rows.js'
import { pooledTransaction, type Queryable } from './postgres-connection.js'

const VERSION_SELECT = `SELECT v.version, v.algorithm, v.auth_data, v.etag,
  (SELECT COUNT(*) FROM key_backup_keys k WHERE k.user_id = v.user_id AND k.version = v.version)
    AS count
  FROM key_backup_versions v`

const numbered = (n: number): string => `$${String(n)}`

/** Keys written per statement: a bound on the size of each array parameter. */
const WRITE_BATCH = 1000

/**
 * Every write takes the user's key_backup_users row lock first, so that one user's backup
 * changes (a new version, a deletion, a batch of keys) happen one after another, and a batch of
 * keys always goes to the version that is current while it is written.
 */
export class PostgresKeyBackupStore implements KeyBackupStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  createVersion(userId: UserId, algorithm: string, authData: JsonObject): Promise<string> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<{ last_version: number }>(
        `INSERT INTO key_backup_users (user_id, last_version) VALUES ($1, 1)
         ON CONFLICT (user_id) DO UPDATE SET last_version = key_backup_users.last_version + 1
         RETURNING last_version`,
        [userId],
      )
      const version = rows[0]?.last_version
      if (version === undefined) throw new Error('INSERT ... RETURNING gave no row')
      await client.query(
        `INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data, etag, deleted)
         VALUES ($1, $2, $3, $4, 0, FALSE)`,
        [userId, version, algorithm, JSON.stringify(authData)],
      )
      return String(version)
    })
  }

  async getVersion(
    userId: UserId,
    version: string | undefined,
  ): Promise<KeyBackupVersion | undefined> {
    const row =
      version === undefined
        ? (
            await this.#pool.query<KeyBackupVersionRow>(
              `${VERSION_SELECT} WHERE v.user_id = $1 AND NOT v.deleted
               ORDER BY v.version DESC LIMIT 1`,
              [userId],
            )
          ).rows[0]
        : await liveVersion(this.#pool, userId, version)
    return row && versionFromRow(row)
  }

  async updateAuthData(userId: UserId, version: string, authData: JsonObject): Promise<boolean> {
    const number = parseBackupVersion(version)
    if (number === undefined) return false
    const { rowCount } = await this.#pool.query(
      `UPDATE key_backup_versions SET auth_data = $3
       WHERE user_id = $1 AND version = $2 AND NOT deleted`,
      [userId, number, JSON.stringify(authData)],
    )
    return (rowCount ?? 0) > 0
  }

  async deleteVersion(userId: UserId, version: string): Promise<DeleteVersionOutcome> {
    const number = parseBackupVersion(version)
    if (number === undefined) return 'unknown'
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      await lockUser(client, userId)
      const { rows } = await client.query<{ deleted: boolean }>(
        'SELECT deleted FROM key_backup_versions WHERE user_id = $1 AND version = $2',
        [userId, number],
      )
      const row = rows[0]
      if (row === undefined) return 'unknown'
      if (row.deleted) return 'already-deleted'
      await client.query('DELETE FROM key_backup_keys WHERE user_id = $1 AND version = $2', [
        userId,
        number,
      ])
      await client.query(
        'UPDATE key_backup_versions SET deleted = TRUE WHERE user_id = $1 AND version = $2',
        [userId, number],
      )
      return 'deleted'
    })
  }

  putKeys(
    userId: UserId,
    version: string,
    keys: readonly RoomKeyRecord[],
    replace: KeyReplacementRule,
  ): Promise<PutKeysOutcome> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      if (!(await lockUser(client, userId))) return { kind: 'no-backup' }
      const { rows: currentRows } = await client.query<{ version: number }>(
        `SELECT version FROM key_backup_versions WHERE user_id = $1 AND NOT deleted
         ORDER BY version DESC LIMIT 1`,
        [userId],
      )
      const current = currentRows[0]?.version
      if (current === undefined) return { kind: 'no-backup' }
      if (String(current) !== version) {
        return { kind: 'not-current', currentVersion: String(current) }
      }
      let written = 0
      for (let start = 0; start < keys.length; start += WRITE_BATCH) {
        const batch = keys.slice(start, start + WRITE_BATCH)
        const stored = await storedKeys(client, userId, current, batch)
        const toWrite = batch.filter((key) => {
          const existing = stored.get(sessionKey(key.roomId, key.sessionId))
          return existing === undefined || replace(existing, key)
        })
        await writeKeys(client, userId, current, toWrite)
        written += toWrite.length
      }
      return { kind: 'stored', ...(await afterChange(client, userId, current, written > 0)) }
    })
  }

  async getKeys(
    userId: UserId,
    version: string,
    scope: KeyScope,
  ): Promise<readonly RoomKeyRecord[] | undefined> {
    const number = parseBackupVersion(version)
    if (number === undefined) return undefined
    const filter = scopeFilter(scope, numbered, 3)
    // One statement, so the keys come from the same snapshot as the check that the version lives.
    const { rows } = await this.#pool.query<NullableRow>(
      `SELECT k.* FROM key_backup_versions v
       LEFT JOIN LATERAL (
         SELECT ${ROOM_KEY_COLUMNS} FROM key_backup_keys
         WHERE user_id = $1 AND version = $2${filter.sql}
       ) k ON TRUE
       WHERE v.user_id = $1 AND v.version = $2 AND NOT v.deleted
       ORDER BY k.room_id, k.session_id`,
      [userId, number, ...filter.values],
    )
    if (rows.length === 0) return undefined
    return rows.filter(isKeyRow).map(roomKeyFromRow)
  }

  deleteKeys(userId: UserId, version: string, scope: KeyScope): Promise<KeysState | undefined> {
    const number = parseBackupVersion(version)
    if (number === undefined) return Promise.resolve(undefined)
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      await lockUser(client, userId)
      if ((await liveVersion(client, userId, version)) === undefined) return undefined
      const filter = scopeFilter(scope, numbered, 3)
      const { rowCount } = await client.query(
        `DELETE FROM key_backup_keys WHERE user_id = $1 AND version = $2${filter.sql}`,
        [userId, number, ...filter.values],
      )
      return afterChange(client, userId, number, (rowCount ?? 0) > 0)
    })
  }
}

/** A row of the LEFT JOIN: a version without keys in the scope gives one of nulls. */
type NullableRow = { readonly [K in keyof RoomKeyRow]: RoomKeyRow[K] | null }

function isKeyRow(row: NullableRow): row is RoomKeyRow {
  return row.room_id !== null
}

/** Takes the user's backup lock; false when the user never had a backup. */
async function lockUser(client: Queryable, userId: UserId): Promise<boolean> {
  const { rows } = await client.query(
    'SELECT 1 FROM key_backup_users WHERE user_id = $1 FOR UPDATE',
    [userId],
  )
  return rows.length > 0
}

async function liveVersion(
  db: Queryable,
  userId: UserId,
  version: string,
): Promise<KeyBackupVersionRow | undefined> {
  const number = parseBackupVersion(version)
  if (number === undefined) return undefined
  const { rows } = await db.query<KeyBackupVersionRow>(
    `${VERSION_SELECT} WHERE v.user_id = $1 AND v.version = $2 AND NOT v.deleted`,
    [userId, number],
  )
  return rows[0]
}

async function storedKeys(
  client: Queryable,
  userId: UserId,
  version: number,
  keys: readonly RoomKeyRecord[],
): Promise<ReadonlyMap<string, RoomKeyRecord>> {
  const { rows } = await client.query<RoomKeyRow>(
    `SELECT ${ROOM_KEY_COLUMNS} FROM key_backup_keys
     WHERE user_id = $1 AND version = $2
       AND (room_id, session_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))`,
    [userId, version, keys.map((k) => k.roomId), keys.map((k) => k.sessionId)],
  )
  return new Map(rows.map((row) => [sessionKey(row.room_id, row.session_id), roomKeyFromRow(row)]))
}

async function writeKeys(
  client: Queryable,
  userId: UserId,
  version: number,
  keys: readonly RoomKeyRecord[],
): Promise<void> {
  if (keys.length === 0) return
  await client.query(
    `INSERT INTO key_backup_keys (user_id, version, ${ROOM_KEY_COLUMNS})
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[],
       $7::boolean[], $8::text[])
     ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
       first_message_index = excluded.first_message_index,
       forwarded_count = excluded.forwarded_count,
       is_verified = excluded.is_verified,
       session_data = excluded.session_data`,
    [
      userId,
      version,
      keys.map((k) => k.roomId),
      keys.map((k) => k.sessionId),
      keys.map((k) => k.firstMessageIndex),
      keys.map((k) => k.forwardedCount),
      keys.map((k) => k.isVerified),
      keys.map((k) => JSON.stringify(k.sessionData)),
    ],
  )
}

/** Moves the etag on when the keys changed, and reads the version's state. */
async function afterChange(
  client: Queryable,
  userId: UserId,
  version: number,
  changed: boolean,
): Promise<KeysState> {
  const count = '(SELECT COUNT(*) FROM key_backup_keys WHERE user_id = $1 AND version = $2)'
  const { rows } = await client.query<{ etag: number; count: number }>(
    changed
      ? `UPDATE key_backup_versions SET etag = etag + 1 WHERE user_id = $1 AND version = $2
         RETURNING etag, ${count} AS count`
      : `SELECT etag, ${count} AS count FROM key_backup_versions
         WHERE user_id = $1 AND version = $2`,
    [userId, version],
  )
  const row = rows[0]
  if (row === undefined) throw new Error('the key backup version vanished inside its transaction')
  return { etag: String(row.etag), count: row.count }
}
