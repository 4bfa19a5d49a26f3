import { canonicalJson, type JsonObject, type UserId } from '@rhizome/core'
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
import { toPositional } from '../engine/device-list-sql.js'
import type {
  KeptDeviceList,
  RemoteDeviceList,
  RemoteDeviceListStore,
  RemoteDeviceUpdate,
  RemoteUpdateOutcome,
} from '../e2e-key-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

const IN_LIST = 'IN (SELECT value FROM json_each($1))'
const KEPT_LISTS = toPositional(keptListsSql(IN_LIST))
const KEPT_DEVICES = toPositional(keptDevicesSql(IN_LIST))
const SHARING = toPositional(sharingSql(IN_LIST))

const json = (value: JsonObject | undefined): string | null =>
  value === undefined ? null : canonicalJson(value)

export class SqliteRemoteDeviceListStore implements RemoteDeviceListStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  kept(
    userIds: readonly UserId[],
    localSuffix: string,
  ): Promise<ReadonlyMap<UserId, KeptDeviceList>> {
    return settle(() => {
      if (userIds.length === 0) return new Map()
      const values = [sqlList(userIds), suffixPattern(localSuffix)]
      return this.#q.db
        .transaction(() =>
          keptFromRows(
            this.#q.all<KeptListRow>(KEPT_LISTS.sql, ...KEPT_LISTS.bind(values)),
            this.#q.all<KeptDeviceRow>(KEPT_DEVICES.sql, ...KEPT_DEVICES.bind(values)),
          ),
        )
        .deferred()
    })
  }

  keep(list: RemoteDeviceList, trackedAt: number, fetchedTs: number): Promise<void> {
    return settle(() => {
      this.#q.db
        .transaction(() => {
          const head = this.#q.one<{ stream_id: number; stale: number }>(
            'SELECT stream_id, stale FROM remote_device_lists WHERE user_id = ?',
            list.userId,
          )
          if (head !== undefined && head.stale === 0 && head.stream_id > list.streamId) return
          this.#q.run(
            `INSERT INTO remote_device_lists
               (user_id, stream_id, tracked_at, stale, master_key, self_signing_key, fetched_ts)
             VALUES (?, ?, ?, 0, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id,
               tracked_at = excluded.tracked_at, stale = 0, master_key = excluded.master_key,
               self_signing_key = excluded.self_signing_key, fetched_ts = excluded.fetched_ts`,
            list.userId,
            list.streamId,
            trackedAt,
            json(list.masterKey),
            json(list.selfSigningKey),
            fetchedTs,
          )
          this.#q.run('DELETE FROM remote_devices WHERE user_id = ?', list.userId)
          for (const device of list.devices) {
            this.#putDevice(list.userId, device.deviceId, device.keys, device.displayName)
          }
        })
        .immediate()
    })
  }

  applyUpdate(update: RemoteDeviceUpdate): Promise<RemoteUpdateOutcome> {
    return settle(() =>
      this.#q.db
        .transaction((): RemoteUpdateOutcome => {
          const row = this.#q.one<{ stream_id: number; stale: number }>(
            'SELECT stream_id, stale FROM remote_device_lists WHERE user_id = ?',
            update.userId,
          )
          const head =
            row === undefined ? undefined : { streamId: row.stream_id, stale: row.stale !== 0 }
          const decision = decideUpdate(head, update)
          if (decision === 'missed' && head !== undefined && !head.stale) {
            this.#q.run('UPDATE remote_device_lists SET stale = 1 WHERE user_id = ?', update.userId)
          }
          if (decision !== 'fold') return decision
          if (update.deleted) {
            this.#q.run(
              'DELETE FROM remote_devices WHERE user_id = ? AND device_id = ?',
              update.userId,
              update.deviceId,
            )
          } else {
            this.#putDevice(update.userId, update.deviceId, update.keys, update.displayName)
          }
          this.#q.run(
            'UPDATE remote_device_lists SET stream_id = ? WHERE user_id = ?',
            update.streamId,
            update.userId,
          )
          return 'applied'
        })
        .immediate(),
    )
  }

  updateSigningKeys(
    userId: UserId,
    masterKey: JsonObject | undefined,
    selfSigningKey: JsonObject | undefined,
  ): Promise<boolean> {
    return settle(
      () =>
        this.#q.run(
          `UPDATE remote_device_lists SET master_key = COALESCE(?, master_key),
             self_signing_key = COALESCE(?, self_signing_key) WHERE user_id = ?`,
          json(masterKey),
          json(selfSigningKey),
          userId,
        ) === 1,
    )
  }

  sharing(userIds: readonly UserId[], localSuffix: string): Promise<ReadonlySet<UserId>> {
    return settle(() => {
      if (userIds.length === 0) return new Set<UserId>()
      const values = [sqlList(userIds), suffixPattern(localSuffix)]
      const rows = this.#q.all<{ user_id: UserId }>(SHARING.sql, ...SHARING.bind(values))
      return new Set(rows.map((row) => row.user_id))
    })
  }

  forget(userIds: readonly UserId[]): Promise<void> {
    return settle(() => {
      if (userIds.length === 0) return
      const list = sqlList(userIds)
      this.#q.db
        .transaction(() => {
          this.#q.run(
            `DELETE FROM remote_devices WHERE user_id ${IN_LIST.replace('$1', '?')}`,
            list,
          )
          this.#q.run(
            `DELETE FROM remote_device_lists WHERE user_id ${IN_LIST.replace('$1', '?')}`,
            list,
          )
        })
        .immediate()
    })
  }

  #putDevice(
    userId: UserId,
    deviceId: string,
    keys: JsonObject | undefined,
    displayName: string | undefined,
  ): void {
    this.#q.run(
      `INSERT INTO remote_devices (user_id, device_id, keys, display_name) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE
         SET keys = excluded.keys, display_name = excluded.display_name`,
      userId,
      deviceId,
      json(keys),
      displayName ?? null,
    )
  }
}
