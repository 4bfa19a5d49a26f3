import type { ServerName } from '@rhizome/core'
import type {
  RemoteKeyResponse,
  RemoteKeyStore,
  RemoteVerifyKey,
} from '../../federation/keys/remote-key-store.js'
import {
  REMOTE_KEY_COLUMNS,
  REMOTE_KEY_MERGE_SET,
  REMOTE_KEY_RESPONSE_COLUMNS,
  REMOTE_KEY_RESPONSE_UPSERT,
  remoteKeyFromRow,
  remoteKeyResponseFromRow,
  remoteKeyResponseValues,
  remoteKeyValues,
  type RemoteKeyResponseRow,
  type RemoteKeyRow,
} from '../engine/remote-key-rows.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

export class SqliteRemoteKeyStore implements RemoteKeyStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  storeResponse(response: RemoteKeyResponse, keys: readonly RemoteVerifyKey[]): Promise<void> {
    return settle(() => {
      const write = this.#q.db.transaction(() => {
        this.#q.run(
          `INSERT INTO server_key_responses (${REMOTE_KEY_RESPONSE_COLUMNS}) VALUES (?, ?, ?, ?)
           ${REMOTE_KEY_RESPONSE_UPSERT}`,
          ...remoteKeyResponseValues(response),
        )
        for (const key of keys) {
          this.#q.run(
            `INSERT INTO server_keys (${REMOTE_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (server_name, key_id) DO UPDATE SET ${REMOTE_KEY_MERGE_SET}`,
            ...remoteKeyValues(key),
          )
        }
      })
      write()
    })
  }

  getKeys(serverName: ServerName, keyIds?: readonly string[]): Promise<readonly RemoteVerifyKey[]> {
    return settle(() => {
      const rows =
        keyIds === undefined
          ? this.#q.all<RemoteKeyRow>(
              `SELECT ${REMOTE_KEY_COLUMNS} FROM server_keys WHERE server_name = ? ORDER BY key_id`,
              serverName,
            )
          : this.#q.all<RemoteKeyRow>(
              `SELECT ${REMOTE_KEY_COLUMNS} FROM server_keys
               WHERE server_name = ? AND key_id IN (SELECT value FROM json_each(?))
               ORDER BY key_id`,
              serverName,
              sqlList(keyIds),
            )
      return rows.map(remoteKeyFromRow)
    })
  }

  getResponse(serverName: ServerName): Promise<RemoteKeyResponse | undefined> {
    return settle(() => {
      const row = this.#q.one<RemoteKeyResponseRow>(
        `SELECT ${REMOTE_KEY_RESPONSE_COLUMNS} FROM server_key_responses WHERE server_name = ?`,
        serverName,
      )
      return row === undefined ? undefined : remoteKeyResponseFromRow(row)
    })
  }
}
