/**
 * `GET /_matrix/key/v2/query/{serverName}` (deprecated, still used) and
 * `POST /_matrix/key/v2/query`: other servers' keys through this server as a notary.
 */
import {
  err,
  isJsonObject,
  ok,
  parseServerName,
  type JsonObject,
  type Result,
  type ServerName,
} from '@rhizome/core'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { KeyNotary, NotaryCriteria } from './key-notary.js'

export interface KeyNotaryServices {
  readonly keyNotary: KeyNotary
  readonly now: () => number
}

/**
 * The most servers one batch query may name: each may cost a fetch, and a notary must not be a
 * lever for making many requests at once.
 */
export const MAX_NOTARY_SERVERS = 100

export const queryServerKeys = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/key/v2/query/:serverName'],
  auth: 'none',
  params: { serverName: (raw: string) => parseServerName(raw) },
  query: (query) => readMinimumValidUntil(query.getAll('minimum_valid_until_ts')),
})

export const batchQueryServerKeys = defineEndpoint({
  method: 'POST',
  paths: ['/_matrix/key/v2/query'],
  auth: 'none',
  body: readBatchQuery,
})

/** Until when the keys should be valid: `undefined` stands for "now", resolved per request. */
type BatchQuery = ReadonlyMap<ServerName, readonly (readonly [string, number | undefined])[]>

export const keyNotaryRoutes: readonly Route<KeyNotaryServices>[] = [
  handle(queryServerKeys, async ({ params, query }, { keyNotary, now }) => {
    const criteria = new Map<ServerName, NotaryCriteria>([
      [params.serverName, { keyIds: [], minimumValidUntilTs: query ?? now() }],
    ])
    return ok({ server_keys: [...(await keyNotary.query(criteria))] })
  }),
  handle(batchQueryServerKeys, async ({ body }, { keyNotary, now }) => {
    const at = now()
    const criteria = new Map<ServerName, NotaryCriteria>()
    for (const [serverName, keys] of body) {
      criteria.set(serverName, {
        keyIds: keys.map(([keyId]) => keyId),
        // One response answers every key of a server, so it should satisfy the most demanding.
        minimumValidUntilTs: keys.reduce((most, [, min]) => Math.max(most, min ?? at), at),
      })
    }
    return ok({ server_keys: [...(await keyNotary.query(criteria))] })
  }),
]

function readMinimumValidUntil(values: readonly string[]): Result<number | undefined, ServerError> {
  if (values.length === 0) return ok(undefined)
  const [value] = values
  if (values.length > 1 || value === undefined || !/^[0-9]{1,16}$/.test(value)) {
    return err(invalidParam('minimum_valid_until_ts must be one non-negative integer'))
  }
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed)) {
    return err(invalidParam('minimum_valid_until_ts is too large'))
  }
  return ok(parsed)
}

function readBatchQuery(json: JsonObject): Result<BatchQuery, ServerError> {
  const servers = json['server_keys']
  if (!isJsonObject(servers)) return err(badJson('server_keys must be an object'))
  const names = Object.keys(servers)
  if (names.length > MAX_NOTARY_SERVERS) {
    return err(invalidParam(`server_keys names more than ${MAX_NOTARY_SERVERS} servers`))
  }
  const query = new Map<ServerName, (readonly [string, number | undefined])[]>()
  for (const name of names) {
    const serverName = parseServerName(name)
    if (!serverName.ok) return serverName
    const keys = servers[name]
    if (!isJsonObject(keys)) return err(badJson(`server_keys.${name} must be an object`))
    const wanted: (readonly [string, number | undefined])[] = []
    for (const [keyId, criteria] of Object.entries(keys)) {
      if (!isJsonObject(criteria)) {
        return err(badJson(`the criteria for ${keyId} of ${name} must be an object`))
      }
      const min = criteria['minimum_valid_until_ts']
      if (min !== undefined && (typeof min !== 'number' || !Number.isSafeInteger(min))) {
        return err(badJson(`minimum_valid_until_ts for ${keyId} of ${name} must be an integer`))
      }
      wanted.push([keyId, min])
    }
    query.set(serverName.value, wanted)
  }
  return ok(query)
}

function invalidParam(message: string): ServerError {
  return serverError('M_INVALID_PARAM', message)
}
