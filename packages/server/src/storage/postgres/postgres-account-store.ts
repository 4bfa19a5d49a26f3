import type pg from 'pg'
import { err, ok, userIdLocalpart, type Result, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import {
  DEVICE_COLUMNS,
  REGISTRATION_TOKEN_COLUMNS,
  USER_COLUMNS,
  accessTokenFromRow,
  deviceFromRow,
  registrationTokenFromRow,
  userFromRow,
  type AccessTokenRow,
  type DeviceRow,
  type RegistrationTokenRow,
  type UserRow,
} from '../engine/rows.js'
import { profileSearchText } from '../engine/profile-search-text.js'
import type {
  AccessTokenRecord,
  AccountStore,
  DeviceRecord,
  NewAccessToken,
  NewDevice,
  NewRegistrationToken,
  NewUser,
  RegistrationTokenRecord,
  RegistrationTokenUpdate,
  UserInUse,
  UserRecord,
} from '../interface.js'
import { DEACTIVATION_CLEANUP } from '../engine/deactivation-sql.js'
import { recordDeviceListChange } from './postgres-device-list-store.js'
import { pooledTransaction } from './postgres-connection.js'

export class PostgresAccountStore implements AccountStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async createUser(user: NewUser): Promise<Result<UserRecord, UserInUse>> {
    // ON CONFLICT covers both the user ID and the localpart. A concurrent insert of the same user
    // makes this one wait for it to commit, then do nothing: exactly one registration wins.
    // The profile is made by the same statement, so no account is ever without one.
    const { rows } = await this.#pool.query<UserRow>(
      `WITH inserted AS (
         INSERT INTO users (user_id, localpart, password_hash, is_admin, is_deactivated, created_ts)
         VALUES ($1, $2, $3, $4, FALSE, $5) ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}
       ), profile AS (
         INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
         SELECT user_id, $6::text, NULL, $7::text FROM inserted
       )
       SELECT * FROM inserted`,
      [
        user.userId,
        userIdLocalpart(user.userId),
        user.passwordHash ?? null,
        user.isAdmin ?? false,
        user.createdTs,
        user.displayName ?? null,
        profileSearchText(user.userId, user.displayName),
      ],
    )
    const row = rows[0]
    return row === undefined
      ? err({ errcode: 'M_USER_IN_USE', error: `${user.userId} is already taken` })
      : ok(userFromRow(row))
  }

  async getUser(userId: UserId): Promise<UserRecord | undefined> {
    const { rows } = await this.#pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1`,
      [userId],
    )
    const row = rows[0]
    return row === undefined ? undefined : userFromRow(row)
  }

  async setPasswordHash(userId: UserId, passwordHash: string | undefined): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE users SET password_hash = $1 WHERE user_id = $2',
      [passwordHash ?? null, userId],
    )
    return rowCount === 1
  }

  async setAdmin(userId: UserId, isAdmin: boolean): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE users SET is_admin = $1 WHERE user_id = $2',
      [isAdmin, userId],
    )
    return rowCount === 1
  }

  async deactivatedUsersInRooms(): Promise<readonly UserId[]> {
    const { rows } = await this.#pool.query<{ user_id: UserId }>(
      `SELECT DISTINCT m.user_id FROM users u JOIN room_memberships m ON m.user_id = u.user_id
       WHERE u.is_deactivated AND m.membership IN ('join', 'invite', 'knock')
       ORDER BY m.user_id`,
    )
    return rows.map((row) => row.user_id)
  }

  deactivate(userId: UserId): Promise<boolean> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rowCount } = await client.query(
        'UPDATE users SET is_deactivated = TRUE, password_hash = NULL WHERE user_id = $1',
        [userId],
      )
      // Tokens and keys go with their devices (ON DELETE CASCADE).
      const devices = await client.query('DELETE FROM devices WHERE user_id = $1', [userId])
      let keys = 0
      for (const sql of DEACTIVATION_CLEANUP)
        keys += (await client.query(sql, [userId])).rowCount ?? 0
      if ((devices.rowCount ?? 0) > 0 || keys > 0) await recordDeviceListChange(client, [userId])
      return rowCount === 1
    })
  }

  async createDevice(device: NewDevice): Promise<{ created: boolean; device: DeviceRecord }> {
    const inserted = await this.#pool.query<DeviceRow>(
      `INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, device_id) DO NOTHING RETURNING ${DEVICE_COLUMNS}`,
      [device.userId, device.deviceId, device.displayName ?? null, device.createdTs],
    )
    const row = inserted.rows[0]
    if (row !== undefined) return { created: true, device: deviceFromRow(row) }
    const existing = await this.getDevice(device.userId, device.deviceId)
    if (existing === undefined) throw new Error('the device is neither new nor existing')
    return { created: false, device: existing }
  }

  async getDevice(userId: UserId, deviceId: string): Promise<DeviceRecord | undefined> {
    const { rows } = await this.#pool.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2`,
      [userId, deviceId],
    )
    const row = rows[0]
    return row === undefined ? undefined : deviceFromRow(row)
  }

  async listDevices(userId: UserId): Promise<readonly DeviceRecord[]> {
    const { rows } = await this.#pool.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY device_id COLLATE "C"`,
      [userId],
    )
    return rows.map(deviceFromRow)
  }

  async updateDeviceDisplayName(
    userId: UserId,
    deviceId: string,
    displayName: string | undefined,
  ): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE devices SET display_name = $1 WHERE user_id = $2 AND device_id = $3',
      [displayName ?? null, userId, deviceId],
    )
    return rowCount === 1
  }

  async recordDeviceSeen(userId: UserId, deviceId: string, ts: number, ip: string): Promise<void> {
    await this.#pool.query(
      'UPDATE devices SET last_seen_ts = $1, last_seen_ip = $2 WHERE user_id = $3 AND device_id = $4',
      [ts, ip, userId, deviceId],
    )
  }

  deleteDevices(userId: UserId, deviceIds: readonly string[]): Promise<number> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rowCount } = await client.query(
        'DELETE FROM devices WHERE user_id = $1 AND device_id = ANY($2::text[])',
        [userId, deviceIds],
      )
      // Other users' clients must stop encrypting for the devices that went.
      if ((rowCount ?? 0) > 0) await recordDeviceListChange(client, [userId])
      return rowCount ?? 0
    })
  }

  async createAccessToken(token: NewAccessToken): Promise<void> {
    await this.#pool.query(
      `INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts)
       VALUES ($1, $2, $3, $4)`,
      [token.tokenHash, token.userId, token.deviceId, token.createdTs],
    )
  }

  async lookupAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined> {
    const { rows } = await this.#pool.query<AccessTokenRow>(
      `SELECT t.user_id, t.device_id, u.is_admin, u.is_deactivated, t.created_ts, t.last_used_ts
       FROM access_tokens t JOIN users u ON u.user_id = t.user_id WHERE t.token_hash = $1`,
      [tokenHash],
    )
    const row = rows[0]
    return row === undefined ? undefined : accessTokenFromRow(row)
  }

  async touchAccessToken(tokenHash: string, ts: number): Promise<void> {
    await this.#pool.query('UPDATE access_tokens SET last_used_ts = $1 WHERE token_hash = $2', [
      ts,
      tokenHash,
    ])
  }

  async deleteAccessToken(tokenHash: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM access_tokens WHERE token_hash = $1', [
      tokenHash,
    ])
    return rowCount === 1
  }

  async deleteAllAccessTokens(userId: UserId, exceptTokenHash?: string): Promise<number> {
    const { rowCount } =
      exceptTokenHash === undefined
        ? await this.#pool.query('DELETE FROM access_tokens WHERE user_id = $1', [userId])
        : await this.#pool.query(
            'DELETE FROM access_tokens WHERE user_id = $1 AND token_hash <> $2',
            [userId, exceptTokenHash],
          )
    return rowCount ?? 0
  }

  async deleteDeviceAccessTokens(userId: UserId, deviceId: string): Promise<number> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM access_tokens WHERE user_id = $1 AND device_id = $2',
      [userId, deviceId],
    )
    return rowCount ?? 0
  }

  async createRegistrationToken(token: NewRegistrationToken): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [token.token, token.usesAllowed ?? null, token.expiryTime ?? null],
    )
    return rowCount === 1
  }

  async getRegistrationToken(token: string): Promise<RegistrationTokenRecord | undefined> {
    const { rows } = await this.#pool.query<RegistrationTokenRow>(
      `SELECT ${REGISTRATION_TOKEN_COLUMNS} FROM registration_tokens WHERE token = $1`,
      [token],
    )
    const row = rows[0]
    return row === undefined ? undefined : registrationTokenFromRow(row)
  }

  async listRegistrationTokens(): Promise<readonly RegistrationTokenRecord[]> {
    const { rows } = await this.#pool.query<RegistrationTokenRow>(
      `SELECT ${REGISTRATION_TOKEN_COLUMNS} FROM registration_tokens ORDER BY token COLLATE "C"`,
    )
    return rows.map(registrationTokenFromRow)
  }

  async updateRegistrationToken(
    token: string,
    update: RegistrationTokenUpdate,
  ): Promise<RegistrationTokenRecord | undefined> {
    // A column the update does not name keeps its value; a named null stores NULL.
    const { rows } = await this.#pool.query<RegistrationTokenRow>(
      `UPDATE registration_tokens SET
         uses_allowed = CASE WHEN $1::boolean THEN $2::integer ELSE uses_allowed END,
         expiry_time = CASE WHEN $3::boolean THEN $4::bigint ELSE expiry_time END
       WHERE token = $5 RETURNING ${REGISTRATION_TOKEN_COLUMNS}`,
      [
        update.usesAllowed !== undefined,
        update.usesAllowed ?? null,
        update.expiryTime !== undefined,
        update.expiryTime ?? null,
        token,
      ],
    )
    const row = rows[0]
    return row === undefined ? undefined : registrationTokenFromRow(row)
  }

  async deleteRegistrationToken(token: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM registration_tokens WHERE token = $1',
      [token],
    )
    return rowCount === 1
  }

  async reserveRegistrationToken(token: string, now: number): Promise<boolean> {
    // One UPDATE: the row lock makes the check and the increment atomic across processes.
    const { rowCount } = await this.#pool.query(
      `UPDATE registration_tokens SET pending = pending + 1
       WHERE token = $1 AND (expiry_time IS NULL OR expiry_time > $2)
         AND (uses_allowed IS NULL OR pending + completed < uses_allowed)`,
      [token, now],
    )
    return rowCount === 1
  }

  async completeRegistrationToken(token: string): Promise<void> {
    await this.#pool.query(
      `UPDATE registration_tokens SET pending = GREATEST(pending - 1, 0), completed = completed + 1
       WHERE token = $1`,
      [token],
    )
  }

  async releaseRegistrationToken(token: string): Promise<void> {
    await this.#pool.query(
      'UPDATE registration_tokens SET pending = GREATEST(pending - 1, 0) WHERE token = $1',
      [token],
    )
  }
}
