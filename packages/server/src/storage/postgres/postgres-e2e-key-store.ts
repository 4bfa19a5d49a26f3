import type pg from 'pg'
import { canonicalJson, type JsonObject, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
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
  UploadedKey,
} from '../e2e-key-store.js'
import { pooledTransaction, type Queryable } from './postgres-connection.js'
import { recordDeviceListChange } from './postgres-device-list-store.js'

/** Thrown inside a transaction to roll it back over a one-time key already stored differently. */
class KeyConflict extends Error {
  constructor(
    readonly algorithm: string,
    readonly keyId: string,
  ) {
    super('one-time key conflict')
  }
}

const COUNTS = `SELECT algorithm, count(*) AS n FROM one_time_keys
  WHERE user_id = $1 AND device_id = $2 GROUP BY algorithm`

export class PostgresE2eKeyStore implements E2eKeyStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async getDeviceKeys(userId: UserId, deviceId: string): Promise<JsonObject | undefined> {
    const { rows } = await this.#pool.query<{ key_json: string }>(
      'SELECT key_json FROM device_keys WHERE user_id = $1 AND device_id = $2',
      [userId, deviceId],
    )
    const row = rows[0]
    return row === undefined ? undefined : parseStoredObject(row.key_json, 'device keys')
  }

  async uploadKeys(upload: KeyUpload): Promise<UploadOutcome> {
    const { userId, deviceId } = upload
    try {
      return await pooledTransaction(this.#pool, this.#logger, async (client) => {
        // Locks the device row: a concurrent deletion waits, or has happened and is seen.
        const device = await client.query(
          'SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2 FOR SHARE',
          [userId, deviceId],
        )
        if (device.rowCount === 0) return { kind: 'unknown-device' }
        await addOneTimeKeys(client, userId, deviceId, upload.oneTimeKeys)
        for (const key of upload.fallbackKeys) {
          await client.query(
            `INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key_json, used)
             VALUES ($1, $2, $3, $4, $5, FALSE)
             ON CONFLICT (user_id, device_id, algorithm) DO UPDATE
             SET key_id = excluded.key_id, key_json = excluded.key_json, used = FALSE
             WHERE fallback_keys.key_id <> excluded.key_id
                OR fallback_keys.key_json <> excluded.key_json`,
            [userId, deviceId, key.algorithm, key.keyId, keyJson(key.key)],
          )
        }
        if (upload.deviceKeys !== undefined) {
          const changed = await client.query(
            `INSERT INTO device_keys (user_id, device_id, key_json) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json
             WHERE device_keys.key_json <> excluded.key_json`,
            [userId, deviceId, canonicalJson(upload.deviceKeys)],
          )
          if ((changed.rowCount ?? 0) > 0) await recordDeviceListChange(client, [userId])
        }
        const counts = await client.query<CountRow>(COUNTS, [userId, deviceId])
        return { kind: 'stored', oneTimeKeyCounts: countsFromRows(counts.rows) }
      })
    } catch (error) {
      if (error instanceof KeyConflict) {
        return { kind: 'key-conflict', algorithm: error.algorithm, keyId: error.keyId }
      }
      throw error
    }
  }

  async oneTimeKeyCounts(
    userId: UserId,
    deviceId: string,
  ): Promise<Readonly<Record<string, number>>> {
    const { rows } = await this.#pool.query<CountRow>(COUNTS, [userId, deviceId])
    return countsFromRows(rows)
  }

  async unusedFallbackKeyTypes(userId: UserId, deviceId: string): Promise<readonly string[]> {
    const { rows } = await this.#pool.query<{ algorithm: string }>(
      `SELECT algorithm FROM fallback_keys
       WHERE user_id = $1 AND device_id = $2 AND NOT used ORDER BY algorithm`,
      [userId, deviceId],
    )
    return rows.map((row) => row.algorithm)
  }

  async deviceSyncState(userId: UserId, deviceId: string): Promise<DeviceSyncState> {
    const { rows } = await this.#pool.query<DeviceSyncRow>(DEVICE_SYNC_STATE, [
      userId,
      deviceId,
      false,
    ])
    return deviceSyncStateFromRows(rows)
  }

  claimKeys(claims: readonly KeyClaim[]): Promise<readonly ClaimedKey[]> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const claimed: ClaimedKey[] = []
      for (const claim of claims) {
        const key = await claimOne(client, claim)
        if (key !== undefined) claimed.push(key)
      }
      return claimed
    })
  }

  async queryDeviceKeys(
    query: ReadonlyMap<UserId, readonly string[]>,
  ): Promise<readonly DeviceKeys[]> {
    const { rows } = await this.#pool.query<DeviceKeysRow>(
      `SELECT k.user_id, k.device_id, k.key_json, d.display_name FROM device_keys k
       JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id
       WHERE k.user_id = ANY($1::text[])
       ORDER BY k.user_id COLLATE "C", k.device_id COLLATE "C"`,
      [[...query.keys()]],
    )
    return rows.filter((row) => wanted(query, row)).map(deviceKeysFromRow)
  }

  async crossSigningKeys(userIds: readonly UserId[]): Promise<readonly CrossSigningKeyRecord[]> {
    const { rows } = await this.#pool.query<CrossSigningRow>(
      `SELECT user_id, usage, public_key, key_json FROM cross_signing_keys
       WHERE user_id = ANY($1::text[])`,
      [userIds],
    )
    return rows.map(crossSigningFromRow)
  }

  async setCrossSigningKeys(userId: UserId, keys: readonly CrossSigningKeyRecord[]): Promise<void> {
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      for (const key of keys) {
        await client.query(
          `INSERT INTO cross_signing_keys (user_id, usage, public_key, key_json)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, usage) DO UPDATE
           SET public_key = excluded.public_key, key_json = excluded.key_json`,
          [userId, key.usage, key.publicKey, canonicalJson(key.key)],
        )
      }
      await recordDeviceListChange(client, [userId])
    })
  }

  async signaturesFor(userIds: readonly UserId[]): Promise<readonly KeySignature[]> {
    const { rows } = await this.#pool.query<SignatureRow>(
      `SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature
       FROM key_signatures WHERE target_user_id = ANY($1::text[])`,
      [userIds],
    )
    return rows.map(signatureFromRow)
  }

  async addSignatures(signatures: readonly KeySignature[]): Promise<void> {
    if (signatures.length === 0) return
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      for (const s of signatures) {
        await client.query(
          `INSERT INTO key_signatures
             (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
           DO UPDATE SET signature = excluded.signature`,
          [s.targetUserId, s.targetKeyId, s.signerUserId, s.signerKeyId, s.signature],
        )
      }
      await recordDeviceListChange(client, [...new Set(signatures.map((s) => s.targetUserId))])
    })
  }
}

async function addOneTimeKeys(
  client: Queryable,
  userId: UserId,
  deviceId: string,
  keys: readonly UploadedKey[],
): Promise<void> {
  for (const key of keys) {
    const json = keyJson(key.key)
    const inserted = await client.query(
      `INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [userId, deviceId, key.algorithm, key.keyId, json],
    )
    if (inserted.rowCount !== 0) continue
    // A retried upload repeats its keys; a different key under a used ID is the client's bug.
    const { rows } = await client.query<{ key_json: string }>(
      `SELECT key_json FROM one_time_keys
       WHERE user_id = $1 AND device_id = $2 AND algorithm = $3 AND key_id = $4`,
      [userId, deviceId, key.algorithm, key.keyId],
    )
    if (rows[0] !== undefined && rows[0].key_json !== json) {
      throw new KeyConflict(key.algorithm, key.keyId)
    }
  }
}

async function claimOne(client: Queryable, claim: KeyClaim): Promise<ClaimedKey | undefined> {
  const { userId, deviceId, algorithm } = claim
  // SKIP LOCKED: two claims at once take two different keys rather than waiting for each other.
  const oneTime = await client.query<{ key_id: string; key_json: string }>(
    `DELETE FROM one_time_keys WHERE seq = (
       SELECT seq FROM one_time_keys WHERE user_id = $1 AND device_id = $2 AND algorithm = $3
       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING key_id, key_json`,
    [userId, deviceId, algorithm],
  )
  const taken = oneTime.rows[0]
  if (taken !== undefined) {
    return { ...claim, keyId: taken.key_id, key: keyFromJson(taken.key_json) }
  }
  const fallback = await client.query<{ key_id: string; key_json: string }>(
    `UPDATE fallback_keys SET used = TRUE
     WHERE user_id = $1 AND device_id = $2 AND algorithm = $3
     RETURNING key_id, key_json`,
    [userId, deviceId, algorithm],
  )
  const row = fallback.rows[0]
  return row === undefined
    ? undefined
    : { ...claim, keyId: row.key_id, key: keyFromJson(row.key_json) }
}
