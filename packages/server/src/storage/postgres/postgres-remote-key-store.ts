import type { ServerName } from '@rhizome/core'
import type pg from 'pg'
import type {
  RemoteKeyResponse,
  RemoteKeyStore,
  RemoteVerifyKey,
} from '../../federation/keys/remote-key-store.js'
import type { Logger } from '../../logging/logger.js'
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
import { pooledTransaction } from './postgres-connection.js'

export class PostgresRemoteKeyStore implements RemoteKeyStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async storeResponse(
    response: RemoteKeyResponse,
    keys: readonly RemoteVerifyKey[],
  ): Promise<void> {
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      await client.query(
        `INSERT INTO server_key_responses (${REMOTE_KEY_RESPONSE_COLUMNS}) VALUES ($1, $2, $3, $4)
         ${REMOTE_KEY_RESPONSE_UPSERT}`,
        remoteKeyResponseValues(response),
      )
      for (const key of keys) {
        await client.query(
          `INSERT INTO server_keys (${REMOTE_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (server_name, key_id) DO UPDATE SET ${REMOTE_KEY_MERGE_SET}`,
          remoteKeyValues(key),
        )
      }
    })
  }

  async getKeys(
    serverName: ServerName,
    keyIds?: readonly string[],
  ): Promise<readonly RemoteVerifyKey[]> {
    const { rows } =
      keyIds === undefined
        ? await this.#pool.query<RemoteKeyRow>(
            `SELECT ${REMOTE_KEY_COLUMNS} FROM server_keys WHERE server_name = $1
             ORDER BY key_id COLLATE "C"`,
            [serverName],
          )
        : await this.#pool.query<RemoteKeyRow>(
            `SELECT ${REMOTE_KEY_COLUMNS} FROM server_keys
             WHERE server_name = $1 AND key_id IN (SELECT unnest($2::text[]))
             ORDER BY key_id COLLATE "C"`,
            [serverName, keyIds],
          )
    return rows.map(remoteKeyFromRow)
  }

  async getResponse(serverName: ServerName): Promise<RemoteKeyResponse | undefined> {
    const { rows } = await this.#pool.query<RemoteKeyResponseRow>(
      `SELECT ${REMOTE_KEY_RESPONSE_COLUMNS} FROM server_key_responses WHERE server_name = $1`,
      [serverName],
    )
    const row = rows[0]
    return row === undefined ? undefined : remoteKeyResponseFromRow(row)
  }
}
