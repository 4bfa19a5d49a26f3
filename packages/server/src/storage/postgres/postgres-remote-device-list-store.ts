import type pg from 'pg'
import { canonicalJson, type JsonObject, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import {
  decideUpdate,
  keptDevicesSql,
  keptFromRows,
  keptListsSql,
  sharingSql,
  suffixPattern,
  type KeptDeviceRow,
  type KeptListRow,
} from '../engine/remote-device-list-sql.js'
import type {
  KeptDeviceList,
  RemoteDeviceList,
  RemoteDeviceListStore,
  RemoteDeviceUpdate,
  RemoteUpdateOutcome,
} from '../e2e-key-store.js'
import { pooledTransaction } from './postgres-connection.js'

const IN_LIST = '= ANY($1::text[])'
const KEPT_LISTS = keptListsSql(IN_LIST)
const KEPT_DEVICES = keptDevicesSql(IN_LIST)
const SHARING = sharingSql(IN_LIST)

const json = (value: JsonObject | undefined): string | null =>
  value === undefined ? null : canonicalJson(value)

interface HeadRow {
  readonly stream_id: string
  readonly stale: boolean
}

export class PostgresRemoteDeviceListStore implements RemoteDeviceListStore {
  readonly #db: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#db = pool
    this.#logger = logger
  }

  async kept(
    userIds: readonly UserId[],
    localSuffix: string,
  ): Promise<ReadonlyMap<UserId, KeptDeviceList>> {
    if (userIds.length === 0) return new Map()
    // One snapshot for both reads: an update committing in between cannot split them.
    return pooledTransaction(this.#db, this.#logger, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
      const lists = await client.query<KeptListRow>(KEPT_LISTS, [
        userIds,
        suffixPattern(localSuffix),
      ])
      const devices = await client.query<KeptDeviceRow>(KEPT_DEVICES, [userIds])
      return keptFromRows(lists.rows, devices.rows)
    })
  }

  async keep(list: RemoteDeviceList, trackedAt: number, fetchedTs: number): Promise<void> {
    await pooledTransaction(this.#db, this.#logger, async (client) => {
      const head = await lockHead(client, list.userId)
      if (head !== undefined && !head.stale && Number(head.stream_id) > list.streamId) return
      await client.query(
        `INSERT INTO remote_device_lists
           (user_id, stream_id, tracked_at, stale, master_key, self_signing_key, fetched_ts)
         VALUES ($1, $2, $3, FALSE, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id,
           tracked_at = excluded.tracked_at, stale = FALSE, master_key = excluded.master_key,
           self_signing_key = excluded.self_signing_key, fetched_ts = excluded.fetched_ts`,
        [
          list.userId,
          list.streamId,
          trackedAt,
          json(list.masterKey),
          json(list.selfSigningKey),
          fetchedTs,
        ],
      )
      await client.query('DELETE FROM remote_devices WHERE user_id = $1', [list.userId])
      if (list.devices.length > 0) {
        await client.query(
          `INSERT INTO remote_devices (user_id, device_id, keys, display_name)
           SELECT $1, d, k, n FROM unnest($2::text[], $3::text[], $4::text[]) AS t (d, k, n)`,
          [
            list.userId,
            list.devices.map((d) => d.deviceId),
            list.devices.map((d) => json(d.keys)),
            list.devices.map((d) => d.displayName ?? null),
          ],
        )
      }
    })
  }

  applyUpdate(update: RemoteDeviceUpdate): Promise<RemoteUpdateOutcome> {
    return pooledTransaction(this.#db, this.#logger, async (client) => {
      const row = await lockHead(client, update.userId)
      const head =
        row === undefined ? undefined : { streamId: Number(row.stream_id), stale: row.stale }
      const decision = decideUpdate(head, update)
      if (decision === 'missed' && head !== undefined && !head.stale) {
        await client.query('UPDATE remote_device_lists SET stale = TRUE WHERE user_id = $1', [
          update.userId,
        ])
      }
      if (decision !== 'fold') return decision
      if (update.deleted) {
        await client.query('DELETE FROM remote_devices WHERE user_id = $1 AND device_id = $2', [
          update.userId,
          update.deviceId,
        ])
      } else {
        await client.query(
          `INSERT INTO remote_devices (user_id, device_id, keys, display_name)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, device_id) DO UPDATE
             SET keys = excluded.keys, display_name = excluded.display_name`,
          [update.userId, update.deviceId, json(update.keys), update.displayName ?? null],
        )
      }
      await client.query('UPDATE remote_device_lists SET stream_id = $1 WHERE user_id = $2', [
        update.streamId,
        update.userId,
      ])
      return 'applied'
    })
  }

  async updateSigningKeys(
    userId: UserId,
    masterKey: JsonObject | undefined,
    selfSigningKey: JsonObject | undefined,
  ): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE remote_device_lists SET master_key = COALESCE($1, master_key),
         self_signing_key = COALESCE($2, self_signing_key) WHERE user_id = $3`,
      [json(masterKey), json(selfSigningKey), userId],
    )
    return rowCount === 1
  }

  async sharing(userIds: readonly UserId[], localSuffix: string): Promise<ReadonlySet<UserId>> {
    if (userIds.length === 0) return new Set()
    const { rows } = await this.#db.query<{ user_id: UserId }>(SHARING, [
      userIds,
      suffixPattern(localSuffix),
    ])
    return new Set(rows.map((row) => row.user_id))
  }

  async forget(userIds: readonly UserId[]): Promise<void> {
    if (userIds.length === 0) return
    await pooledTransaction(this.#db, this.#logger, async (client) => {
      await client.query(`DELETE FROM remote_devices WHERE user_id ${IN_LIST}`, [userIds])
      await client.query(`DELETE FROM remote_device_lists WHERE user_id ${IN_LIST}`, [userIds])
    })
  }
}

/** The kept list's head, locked until the transaction ends, so that writers take turns. */
async function lockHead(client: pg.ClientBase, userId: UserId): Promise<HeadRow | undefined> {
  const { rows } = await client.query<HeadRow>(
    'SELECT stream_id, stale FROM remote_device_lists WHERE user_id = $1 FOR UPDATE',
    [userId],
  )
  return rows[0]
}
