import { canonicalJson, type JsonObject, type UserId } from '@rhizome/core'
import {
  countsFromRows,
  DEVICE_SYNC_STATE,
  deviceSyncStateFromRows,
  type DeviceSyncRow,
  crossSigningFromRow,
  deviceKeysFromRow,
  keyFromJson,
  keyJson,
  signatureFromRow,
  wanted,
  type CountRow,
  type CrossSigningRow,
  type DeviceKeysRow,
  type SignatureRow,
} from '../engine/e2e-key-rows.js'
import { parseStoredObject } from '../engine/json-text.js'
import type {
  ClaimedKey,
  CrossSigningKeyRecord,
  DeviceKeys,
  DeviceSyncState,
  E2eKeyStore,
  KeyClaim,
  KeySignature,
  KeyUpload,
  UploadOutcome,
} from '../e2e-key-store.js'
import type { StreamNotification } from '../interface.js'
import { toPositional } from '../engine/device-list-sql.js'
import { recordDeviceListChange } from './sqlite-device-list-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

/** Thrown inside a transaction to roll it back over a one-time key already stored differently. */
class KeyConflict extends Error {
  constructor(
    readonly algorithm: string,
    readonly keyId: string,
  ) {
    super('one-time key conflict')
  }
}

const DEVICE_SYNC_STATE_SQLITE = toPositional(DEVICE_SYNC_STATE)

export class SqliteE2eKeyStore implements E2eKeyStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  getDeviceKeys(userId: UserId, deviceId: string): Promise<JsonObject | undefined> {
    return settle(() => {
      const row = this.#q.one<{ key_json: string }>(
        'SELECT key_json FROM device_keys WHERE user_id = ? AND device_id = ?',
        userId,
        deviceId,
      )
      return row === undefined ? undefined : parseStoredObject(row.key_json, 'device keys')
    })
  }

  uploadKeys(upload: KeyUpload): Promise<UploadOutcome> {
    return settle(() => {
      const { userId, deviceId } = upload
      let notification: StreamNotification | undefined
      try {
        const known = this.#q.db
          .transaction((): boolean => {
            const device = this.#q.one(
              'SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?',
              userId,
              deviceId,
            )
            if (device === undefined) return false
            for (const key of upload.oneTimeKeys) this.#addOneTimeKey(userId, deviceId, key)
            for (const key of upload.fallbackKeys) {
              // The same key again leaves its used flag alone: only a new key is unused.
              this.#q.run(
                `INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key_json, used)
                 VALUES (?, ?, ?, ?, ?, 0)
                 ON CONFLICT (user_id, device_id, algorithm) DO UPDATE
                 SET key_id = excluded.key_id, key_json = excluded.key_json, used = 0
                 WHERE fallback_keys.key_id <> excluded.key_id
                    OR fallback_keys.key_json <> excluded.key_json`,
                userId,
                deviceId,
                key.algorithm,
                key.keyId,
                keyJson(key.key),
              )
            }
            if (upload.deviceKeys !== undefined) {
              const json = canonicalJson(upload.deviceKeys)
              const changed = this.#q.run(
                `INSERT INTO device_keys (user_id, device_id, key_json) VALUES (?, ?, ?)
                 ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json
                 WHERE device_keys.key_json <> excluded.key_json`,
                userId,
                deviceId,
                json,
              )
              if (changed > 0) notification = recordDeviceListChange(this.#q, [userId])
            }
            return true
          })
          .immediate()
        if (!known) return { kind: 'unknown-device' }
      } catch (error) {
        if (error instanceof KeyConflict) {
          return { kind: 'key-conflict', algorithm: error.algorithm, keyId: error.keyId }
        }
        throw error
      }
      if (notification !== undefined) this.#afterCommit(notification)
      return { kind: 'stored', oneTimeKeyCounts: this.#counts(userId, deviceId) }
    })
  }

  #addOneTimeKey(userId: UserId, deviceId: string, key: KeyUpload['oneTimeKeys'][number]): void {
    const json = keyJson(key.key)
    const existing = this.#q.one<{ key_json: string }>(
      `SELECT key_json FROM one_time_keys
       WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?`,
      userId,
      deviceId,
      key.algorithm,
      key.keyId,
    )
    if (existing !== undefined) {
      // A retried upload repeats its keys; a different key under a used ID is the client's bug.
      if (existing.key_json !== json) throw new KeyConflict(key.algorithm, key.keyId)
      return
    }
    this.#q.run(
      `INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json)
       VALUES (?, ?, ?, ?, ?)`,
      userId,
      deviceId,
      key.algorithm,
      key.keyId,
      json,
    )
  }

  oneTimeKeyCounts(userId: UserId, deviceId: string): Promise<Readonly<Record<string, number>>> {
    return settle(() => this.#counts(userId, deviceId))
  }

  #counts(userId: UserId, deviceId: string): Record<string, number> {
    return countsFromRows(
      this.#q.all<CountRow>(
        `SELECT algorithm, count(*) AS n FROM one_time_keys
         WHERE user_id = ? AND device_id = ? GROUP BY algorithm`,
        userId,
        deviceId,
      ),
    )
  }

  unusedFallbackKeyTypes(userId: UserId, deviceId: string): Promise<readonly string[]> {
    return settle(() =>
      this.#q
        .all<{ algorithm: string }>(
          `SELECT algorithm FROM fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0
           ORDER BY algorithm`,
          userId,
          deviceId,
        )
        .map((row) => row.algorithm),
    )
  }

  deviceSyncState(userId: UserId, deviceId: string): Promise<DeviceSyncState> {
    return settle(() =>
      deviceSyncStateFromRows(
        this.#q.all<DeviceSyncRow>(
          DEVICE_SYNC_STATE_SQLITE.sql,
          ...DEVICE_SYNC_STATE_SQLITE.bind([userId, deviceId, 0]),
        ),
      ),
    )
  }

  claimKeys(claims: readonly KeyClaim[]): Promise<readonly ClaimedKey[]> {
    return settle(() =>
      this.#q.db
        .transaction(() => {
          const claimed: ClaimedKey[] = []
          for (const claim of claims) {
            const key = this.#claimOne(claim)
            if (key !== undefined) claimed.push(key)
          }
          return claimed
        })
        .immediate(),
    )
  }

  #claimOne(claim: KeyClaim): ClaimedKey | undefined {
    const { userId, deviceId, algorithm } = claim
    const oneTime = this.#q.one<{ seq: number; key_id: string; key_json: string }>(
      `SELECT seq, key_id, key_json FROM one_time_keys
       WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY seq LIMIT 1`,
      userId,
      deviceId,
      algorithm,
    )
    if (oneTime !== undefined) {
      this.#q.run('DELETE FROM one_time_keys WHERE seq = ?', oneTime.seq)
      return { ...claim, keyId: oneTime.key_id, key: keyFromJson(oneTime.key_json) }
    }
    const fallback = this.#q.one<{ key_id: string; key_json: string }>(
      `SELECT key_id, key_json FROM fallback_keys
       WHERE user_id = ? AND device_id = ? AND algorithm = ?`,
      userId,
      deviceId,
      algorithm,
    )
    if (fallback === undefined) return undefined
    this.#q.run(
      `UPDATE fallback_keys SET used = 1
       WHERE user_id = ? AND device_id = ? AND algorithm = ? AND used = 0`,
      userId,
      deviceId,
      algorithm,
    )
    return { ...claim, keyId: fallback.key_id, key: keyFromJson(fallback.key_json) }
  }

  queryDeviceKeys(query: ReadonlyMap<UserId, readonly string[]>): Promise<readonly DeviceKeys[]> {
    return settle(() => {
      const rows = this.#q.all<DeviceKeysRow>(
        `SELECT k.user_id, k.device_id, k.key_json, d.display_name FROM device_keys k
         JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id
         WHERE k.user_id IN (SELECT value FROM json_each(?))
         ORDER BY k.user_id, k.device_id`,
        sqlList([...query.keys()]),
      )
      return rows.filter((row) => wanted(query, row)).map(deviceKeysFromRow)
    })
  }

  crossSigningKeys(userIds: readonly UserId[]): Promise<readonly CrossSigningKeyRecord[]> {
    return settle(() =>
      this.#q
        .all<CrossSigningRow>(
          `SELECT user_id, usage, public_key, key_json FROM cross_signing_keys
           WHERE user_id IN (SELECT value FROM json_each(?))`,
          sqlList(userIds),
        )
        .map(crossSigningFromRow),
    )
  }

  setCrossSigningKeys(userId: UserId, keys: readonly CrossSigningKeyRecord[]): Promise<void> {
    return settle(() => {
      const notification = this.#q.db
        .transaction(() => {
          for (const key of keys) {
            this.#q.run(
              `INSERT INTO cross_signing_keys (user_id, usage, public_key, key_json)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (user_id, usage) DO UPDATE
               SET public_key = excluded.public_key, key_json = excluded.key_json`,
              userId,
              key.usage,
              key.publicKey,
              canonicalJson(key.key),
            )
          }
          return recordDeviceListChange(this.#q, [userId])
        })
        .immediate()
      this.#afterCommit(notification)
    })
  }

  signaturesFor(userIds: readonly UserId[]): Promise<readonly KeySignature[]> {
    return settle(() =>
      this.#q
        .all<SignatureRow>(
          `SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature
           FROM key_signatures WHERE target_user_id IN (SELECT value FROM json_each(?))`,
          sqlList(userIds),
        )
        .map(signatureFromRow),
    )
  }

  addSignatures(signatures: readonly KeySignature[]): Promise<void> {
    if (signatures.length === 0) return Promise.resolve()
    return settle(() => {
      const notification = this.#q.db
        .transaction(() => {
          for (const s of signatures) {
            this.#q.run(
              `INSERT INTO key_signatures
                 (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
               DO UPDATE SET signature = excluded.signature`,
              s.targetUserId,
              s.targetKeyId,
              s.signerUserId,
              s.signerKeyId,
              s.signature,
            )
          }
          const targets = [...new Set(signatures.map((s) => s.targetUserId))]
          return recordDeviceListChange(this.#q, targets)
        })
        .immediate()
      this.#afterCommit(notification)
    })
  }
}
