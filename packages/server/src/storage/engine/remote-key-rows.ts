import type { ServerName } from '@rhizome/core'
import type { RemoteKeyResponse, RemoteVerifyKey } from '../../federation/keys/remote-key-store.js'
import { parseStoredObject } from './json-text.js'

/** A server_keys row as both dialects read it. */
export interface RemoteKeyRow {
  readonly server_name: string
  readonly key_id: string
  readonly public_key: string
  readonly valid_until_ts: number | string
  readonly expired_ts: number | string | null
  readonly fetched_ts: number | string
}

/** A server_key_responses row as both dialects read it. */
export interface RemoteKeyResponseRow {
  readonly server_name: string
  readonly response: string
  readonly valid_until_ts: number | string
  readonly fetched_ts: number | string
}

/** The columns of server_keys, in the order of remoteKeyValues. */
export const REMOTE_KEY_COLUMNS =
  'server_name, key_id, public_key, valid_until_ts, expired_ts, fetched_ts' as const

/**
 * How a stored key takes in what a newer response says of it (RemoteKeyStore.storeResponse): a
 * retirement or different key material replaces the row; a retired key stays retired; otherwise
 * the longer validity wins. The same SQL works in both dialects.
 */
export const REMOTE_KEY_MERGE_SET = `
  valid_until_ts = CASE
    WHEN excluded.expired_ts IS NOT NULL OR excluded.public_key <> server_keys.public_key
      THEN excluded.valid_until_ts
    WHEN server_keys.expired_ts IS NOT NULL THEN server_keys.valid_until_ts
    WHEN excluded.valid_until_ts > server_keys.valid_until_ts THEN excluded.valid_until_ts
    ELSE server_keys.valid_until_ts END,
  expired_ts = CASE
    WHEN excluded.expired_ts IS NOT NULL OR excluded.public_key <> server_keys.public_key
      THEN excluded.expired_ts
    ELSE server_keys.expired_ts END,
  public_key = excluded.public_key,
  fetched_ts = excluded.fetched_ts` as const

export const REMOTE_KEY_RESPONSE_COLUMNS =
  'server_name, response, valid_until_ts, fetched_ts' as const

/** Replaces the stored response only with one valid for at least as long. */
export const REMOTE_KEY_RESPONSE_UPSERT = `
  ON CONFLICT (server_name) DO UPDATE SET
    response = excluded.response,
    valid_until_ts = excluded.valid_until_ts,
    fetched_ts = excluded.fetched_ts
  WHERE excluded.valid_until_ts >= server_key_responses.valid_until_ts` as const

export function remoteKeyValues(key: RemoteVerifyKey): unknown[] {
  return [
    key.serverName,
    key.keyId,
    key.key,
    key.validUntilTs,
    key.expiredTs ?? null,
    key.fetchedTs,
  ]
}

export function remoteKeyResponseValues(response: RemoteKeyResponse): unknown[] {
  return [
    response.serverName,
    JSON.stringify(response.response),
    response.validUntilTs,
    response.fetchedTs,
  ]
}

export function remoteKeyFromRow(row: RemoteKeyRow): RemoteVerifyKey {
  return {
    serverName: row.server_name as ServerName,
    keyId: row.key_id,
    key: row.public_key,
    validUntilTs: Number(row.valid_until_ts),
    expiredTs: row.expired_ts === null ? undefined : Number(row.expired_ts),
    fetchedTs: Number(row.fetched_ts),
  }
}

export function remoteKeyResponseFromRow(row: RemoteKeyResponseRow): RemoteKeyResponse {
  return {
    serverName: row.server_name as ServerName,
    response: parseStoredObject(row.response, 'server key response'),
    validUntilTs: Number(row.valid_until_ts),
    fetchedTs: Number(row.fetched_ts),
  }
}
