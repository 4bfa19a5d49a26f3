import { err, ok, userIdLocalpart, type Result, type UserId } from '@rhizome/core'
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
  StreamNotification,
  UserInUse,
  UserRecord,
} from '../interface.js'
import { DEACTIVATION_CLEANUP } from '../engine/deactivation-sql.js'
import { toPositional } from '../engine/device-list-sql.js'
import { recordDeviceListChange } from './sqlite-device-list-store.js'
import { settle, sqlBool, sqlList, type SqliteStatements } from './sqlite-statements.js'

const DEACTIVATION_QUERIES = DEACTIVATION_CLEANUP.map(toPositional)

export class SqliteAccountStore implements AccountStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  createUser(user: NewUser): Promise<Result<UserRecord, UserInUse>> {
    return settle(() => {
      // ON CONFLICT covers both the user ID and the localpart; the profile is made in the same
      // transaction, so no account is ever without one.
      const row = this.#q.db
        .transaction(() => {
          const inserted = this.#q.one<UserRow>(
            `INSERT INTO users (user_id, localpart, password_hash, is_admin, is_deactivated, created_ts)
           VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
            user.userId,
            userIdLocalpart(user.userId),
            user.passwordHash ?? null,
            sqlBool(user.isAdmin ?? false),
            user.createdTs,
          )
          if (inserted !== undefined) {
            this.#q.run(
              `INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
               VALUES (?, ?, NULL, ?)`,
              user.userId,
              user.displayName ?? null,
              profileSearchText(user.userId, user.displayName),
            )
          }
          return inserted
        })
        .immediate()
      return row === undefined
        ? err({ errcode: 'M_USER_IN_USE', error: `${user.userId} is already taken` })
        : ok(userFromRow(row))
    })
  }

  getUser(userId: UserId): Promise<UserRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE user_id = ?`,
        userId,
      )
      return row === undefined ? undefined : userFromRow(row)
    })
  }

  setPasswordHash(userId: UserId, passwordHash: string | undefined): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        'UPDATE users SET password_hash = ? WHERE user_id = ?',
        passwordHash ?? null,
        userId,
      )
      return changed === 1
    })
  }

  setAdmin(userId: UserId, isAdmin: boolean): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        'UPDATE users SET is_admin = ? WHERE user_id = ?',
        sqlBool(isAdmin),
        userId,
      )
      return changed === 1
    })
  }

  deactivatedUsersInRooms(): Promise<readonly UserId[]> {
    return settle(() =>
      this.#q
        .all<{ user_id: UserId }>(
          `SELECT DISTINCT m.user_id FROM users u JOIN room_memberships m ON m.user_id = u.user_id
           WHERE u.is_deactivated = 1 AND m.membership IN ('join', 'invite', 'knock')
           ORDER BY m.user_id`,
        )
        .map((row) => row.user_id),
    )
  }

  deactivate(userId: UserId): Promise<boolean> {
    return settle(() => {
      const found = this.#q.db.transaction(() => {
        const changed = this.#q.run(
          'UPDATE users SET is_deactivated = 1, password_hash = NULL WHERE user_id = ?',
          userId,
        )
        // Tokens and keys go with their devices (ON DELETE CASCADE).
        const devices = this.#q.run('DELETE FROM devices WHERE user_id = ?', userId)
        let keys = 0
        for (const query of DEACTIVATION_QUERIES) {
          keys += this.#q.run(query.sql, ...query.bind([userId]))
        }
        const notify = devices > 0 || keys > 0
        return {
          found: changed === 1,
          notification: notify ? recordDeviceListChange(this.#q, [userId]) : undefined,
        }
      })
      const outcome = found.immediate()
      if (outcome.notification !== undefined) this.#afterCommit(outcome.notification)
      return outcome.found
    })
  }

  createDevice(device: NewDevice): Promise<{ created: boolean; device: DeviceRecord }> {
    return settle(() => {
      const result = this.#q.db.transaction(() => {
        const changed = this.#q.run(
          `INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, device_id) DO NOTHING`,
          device.userId,
          device.deviceId,
          device.displayName ?? null,
          device.createdTs,
        )
        const row = this.#q.one<DeviceRow>(
          `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? AND device_id = ?`,
          device.userId,
          device.deviceId,
        )
        if (row === undefined) throw new Error('the device just written is missing')
        return { created: changed === 1, device: deviceFromRow(row) }
      })
      return result.immediate()
    })
  }

  getDevice(userId: UserId, deviceId: string): Promise<DeviceRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? AND device_id = ?`,
        userId,
        deviceId,
      )
      return row === undefined ? undefined : deviceFromRow(row)
    })
  }

  listDevices(userId: UserId): Promise<readonly DeviceRecord[]> {
    return settle(() => {
      const rows = this.#q.all<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = ? ORDER BY device_id`,
        userId,
      )
      return rows.map(deviceFromRow)
    })
  }

  updateDeviceDisplayName(
    userId: UserId,
    deviceId: string,
    displayName: string | undefined,
  ): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        'UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?',
        displayName ?? null,
        userId,
        deviceId,
      )
      return changed === 1
    })
  }

  recordDeviceSeen(userId: UserId, deviceId: string, ts: number, ip: string): Promise<void> {
    return settle(() => {
      this.#q.run(
        'UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?',
        ts,
        ip,
        userId,
        deviceId,
      )
    })
  }

  deleteDevices(userId: UserId, deviceIds: readonly string[]): Promise<number> {
    return settle(() => {
      const outcome = this.#q.db
        .transaction(() => {
          const changed = this.#q.run(
            'DELETE FROM devices WHERE user_id = ? AND device_id IN (SELECT value FROM json_each(?))',
            userId,
            sqlList(deviceIds),
          )
          // Other users' clients must stop encrypting for the devices that went.
          const notification = changed > 0 ? recordDeviceListChange(this.#q, [userId]) : undefined
          return { changed, notification }
        })
        .immediate()
      if (outcome.notification !== undefined) this.#afterCommit(outcome.notification)
      return outcome.changed
    })
  }

  createAccessToken(token: NewAccessToken): Promise<void> {
    return settle(() => {
      this.#q.run(
        'INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)',
        token.tokenHash,
        token.userId,
        token.deviceId,
        token.createdTs,
      )
    })
  }

  lookupAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<AccessTokenRow>(
        `SELECT t.user_id, t.device_id, u.is_admin, u.is_deactivated, t.created_ts, t.last_used_ts
       FROM access_tokens t JOIN users u ON u.user_id = t.user_id WHERE t.token_hash = ?`,
        tokenHash,
      )
      return row === undefined ? undefined : accessTokenFromRow(row)
    })
  }

  touchAccessToken(tokenHash: string, ts: number): Promise<void> {
    return settle(() => {
      this.#q.run('UPDATE access_tokens SET last_used_ts = ? WHERE token_hash = ?', ts, tokenHash)
    })
  }

  deleteAccessToken(tokenHash: string): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run('DELETE FROM access_tokens WHERE token_hash = ?', tokenHash)
      return changed === 1
    })
  }

  deleteAllAccessTokens(userId: UserId, exceptTokenHash?: string): Promise<number> {
    return settle(() => {
      const changed =
        exceptTokenHash === undefined
          ? this.#q.run('DELETE FROM access_tokens WHERE user_id = ?', userId)
          : this.#q.run(
              'DELETE FROM access_tokens WHERE user_id = ? AND token_hash <> ?',
              userId,
              exceptTokenHash,
            )
      return changed
    })
  }

  deleteDeviceAccessTokens(userId: UserId, deviceId: string): Promise<number> {
    return settle(() =>
      this.#q.run(
        'DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?',
        userId,
        deviceId,
      ),
    )
  }

  createRegistrationToken(token: NewRegistrationToken): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        `INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES (?, ?, ?)
       ON CONFLICT DO NOTHING`,
        token.token,
        token.usesAllowed ?? null,
        token.expiryTime ?? null,
      )
      return changed === 1
    })
  }

  getRegistrationToken(token: string): Promise<RegistrationTokenRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<RegistrationTokenRow>(
        `SELECT ${REGISTRATION_TOKEN_COLUMNS} FROM registration_tokens WHERE token = ?`,
        token,
      )
      return row === undefined ? undefined : registrationTokenFromRow(row)
    })
  }

  listRegistrationTokens(): Promise<readonly RegistrationTokenRecord[]> {
    return settle(() => {
      const rows = this.#q.all<RegistrationTokenRow>(
        `SELECT ${REGISTRATION_TOKEN_COLUMNS} FROM registration_tokens ORDER BY token`,
      )
      return rows.map(registrationTokenFromRow)
    })
  }

  updateRegistrationToken(
    token: string,
    update: RegistrationTokenUpdate,
  ): Promise<RegistrationTokenRecord | undefined> {
    return settle(() => {
      // A column the update does not name keeps its value; a named null stores NULL.
      const row = this.#q.one<RegistrationTokenRow>(
        `UPDATE registration_tokens SET
         uses_allowed = CASE WHEN ? THEN ? ELSE uses_allowed END,
         expiry_time = CASE WHEN ? THEN ? ELSE expiry_time END
       WHERE token = ? RETURNING ${REGISTRATION_TOKEN_COLUMNS}`,
        sqlBool(update.usesAllowed !== undefined),
        update.usesAllowed ?? null,
        sqlBool(update.expiryTime !== undefined),
        update.expiryTime ?? null,
        token,
      )
      return row === undefined ? undefined : registrationTokenFromRow(row)
    })
  }

  deleteRegistrationToken(token: string): Promise<boolean> {
    return settle(() => {
      return this.#q.run('DELETE FROM registration_tokens WHERE token = ?', token) === 1
    })
  }

  reserveRegistrationToken(token: string, now: number): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        `UPDATE registration_tokens SET pending = pending + 1
       WHERE token = ? AND (expiry_time IS NULL OR expiry_time > ?)
         AND (uses_allowed IS NULL OR pending + completed < uses_allowed)`,
        token,
        now,
      )
      return changed === 1
    })
  }

  completeRegistrationToken(token: string): Promise<void> {
    return settle(() => {
      this.#q.run(
        `UPDATE registration_tokens
       SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END, completed = completed + 1
       WHERE token = ?`,
        token,
      )
    })
  }

  releaseRegistrationToken(token: string): Promise<void> {
    return settle(() => {
      this.#q.run(
        `UPDATE registration_tokens SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END
       WHERE token = ?`,
        token,
      )
    })
  }
}
