/**
 * Asking other servers on behalf of this server's clients (server-server-api §Querying for
 * information, §End-to-End Encryption, §Public Room Directory, §Spaces): profiles, room aliases,
 * device keys and one-time keys, published room directories and spaces. What comes back is
 * checked before a client sees it: a server answers only for its own users and aliases, and
 * malformed parts are dropped rather than passed on.
 */
import {
  err,
  isJsonObject,
  ok,
  parseRoomId,
  parseServerName,
  roomAliasServerName,
  userIdServerName,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomAlias,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { PublicRoomChunk, PublicRoomsResponse } from '../../directory/published-rooms.js'
import { serverError, type ServerError } from '../../http/errors.js'
import type { RemoteSpaceHierarchy } from '../../rooms/space-hierarchy-remote.js'
import type { FederationFailure, FederationRequester } from '../transport/federation-client.js'
import { readHierarchyAnswer } from './hierarchy-answer.js'
import { readUserDevices } from '../../e2ee/user-devices-answer.js'
import type { RemoteDeviceList } from '../../storage/e2e-key-store.js'

/** How long a query waits for the other server when the client named no timeout. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000

/** A join tries so many servers at most: more only lengthens the answer. */
export const MAX_ALIAS_SERVERS = 50

/** A profile as another server gave it: only the two fields clients are served. */
export interface RemoteProfile {
  readonly displayname?: string
  readonly avatar_url?: string
}

export interface RemoteAlias {
  readonly room_id: RoomId
  readonly servers: readonly ServerName[]
}

/** What `/user/keys/query` returned, limited to the destination's own users. */
export interface RemoteDeviceKeys {
  readonly device_keys: Record<UserId, Record<string, JsonObject>>
  readonly master_keys: Record<UserId, JsonObject>
  readonly self_signing_keys: Record<UserId, JsonObject>
}

export type RemoteOneTimeKeys = Record<UserId, Record<string, Record<string, JsonValue>>>

export interface RemoteQueries {
  profile(
    userId: UserId,
    field?: 'displayname' | 'avatar_url',
  ): Promise<Result<RemoteProfile, ServerError>>
  resolveAlias(alias: RoomAlias): Promise<Result<RemoteAlias, ServerError>>
  queryKeys(
    server: ServerName,
    query: ReadonlyMap<UserId, readonly string[]>,
    timeoutMs: number,
  ): Promise<Result<RemoteDeviceKeys, FederationFailure>>
  /** The user's devices and cross-signing keys, whole, with the stream ID they are at. */
  userDevices(
    userId: UserId,
    timeoutMs: number,
  ): Promise<Result<RemoteDeviceList, FederationFailure>>
  claimKeys(
    server: ServerName,
    claims: readonly { userId: UserId; deviceId: string; algorithm: string }[],
    timeoutMs: number,
  ): Promise<Result<RemoteOneTimeKeys, FederationFailure>>
  publicRooms(
    server: ServerName,
    body: JsonObject,
  ): Promise<Result<PublicRoomsResponse, ServerError>>
  /** A space and its direct children as `server` describes them (hierarchy-answer.ts). */
  hierarchy(
    server: ServerName,
    roomId: RoomId,
    suggestedOnly: boolean,
  ): Promise<Result<RemoteSpaceHierarchy, ServerError>>
}

export function createRemoteQueries(requester: FederationRequester): RemoteQueries {
  return {
    async profile(userId, field) {
      const answer = await requester.request(
        userIdServerName(userId),
        'GET',
        '/_matrix/federation/v1/query/profile',
        undefined,
        {
          timeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
          query: field === undefined ? { user_id: userId } : { user_id: userId, field },
        },
      )
      if (!answer.ok) return err(clientErrorOf(answer.error, `the profile of ${userId}`))
      const body = answer.value.body
      if (!isJsonObject(body)) return err(badGateway(`${userId}'s server sent no profile`))
      const profile: { displayname?: string; avatar_url?: string } = {}
      for (const name of ['displayname', 'avatar_url'] as const) {
        const value = body[name]
        if (typeof value === 'string' && (field === undefined || field === name)) {
          profile[name] = value
        }
      }
      return ok(profile)
    },

    async resolveAlias(alias) {
      const answer = await requester.request(
        roomAliasServerName(alias),
        'GET',
        '/_matrix/federation/v1/query/directory',
        undefined,
        { timeoutMs: DEFAULT_QUERY_TIMEOUT_MS, query: { room_alias: alias } },
      )
      if (!answer.ok) return err(clientErrorOf(answer.error, `the room alias ${alias}`))
      const body = answer.value.body
      const roomId =
        isJsonObject(body) && typeof body['room_id'] === 'string'
          ? parseRoomId(body['room_id'])
          : undefined
      if (roomId === undefined || !roomId.ok) {
        return err(badGateway(`the server of ${alias} answered without a room ID`))
      }
      const listed = isJsonObject(body) ? body['servers'] : undefined
      const servers = new Set<ServerName>()
      if (Array.isArray(listed)) {
        for (const entry of listed as readonly JsonValue[]) {
          if (servers.size >= MAX_ALIAS_SERVERS) break
          if (typeof entry !== 'string') continue
          const name = parseServerName(entry)
          if (name.ok) servers.add(name.value)
        }
      }
      // The alias's own server can always help with a join.
      servers.add(roomAliasServerName(alias))
      return ok({ room_id: roomId.value, servers: [...servers] })
    },

    async queryKeys(server, query, timeoutMs) {
      const deviceKeys: Record<string, readonly string[]> = {}
      for (const [user, devices] of query) deviceKeys[user] = devices
      const answer = await requester.request(
        server,
        'POST',
        '/_matrix/federation/v1/user/keys/query',
        { device_keys: deviceKeys as JsonObject },
        { timeoutMs },
      )
      if (!answer.ok) return answer
      const body = isJsonObject(answer.value.body) ? answer.value.body : {}
      const asked = new Set(query.keys())
      const ownUser = (user: string): user is UserId =>
        asked.has(user as UserId) && userIdServerName(user as UserId) === server
      const result: RemoteDeviceKeys = { device_keys: {}, master_keys: {}, self_signing_keys: {} }
      const devices = body['device_keys']
      if (isJsonObject(devices)) {
        for (const [user, byDevice] of Object.entries(devices)) {
          if (!ownUser(user) || !isJsonObject(byDevice)) continue
          const kept: Record<string, JsonObject> = {}
          for (const [deviceId, keys] of Object.entries(byDevice)) {
            // A device's keys name the user and device they belong to: they must be these.
            if (isJsonObject(keys) && keys['user_id'] === user && keys['device_id'] === deviceId) {
              kept[deviceId] = keys
            }
          }
          result.device_keys[user] = kept
        }
      }
      for (const field of ['master_keys', 'self_signing_keys'] as const) {
        const keys = body[field]
        if (!isJsonObject(keys)) continue
        for (const [user, key] of Object.entries(keys)) {
          if (ownUser(user) && isJsonObject(key) && key['user_id'] === user) {
            result[field][user] = key
          }
        }
      }
      return ok(result)
    },

    async userDevices(userId, timeoutMs) {
      const answer = await requester.request(
        userIdServerName(userId),
        'GET',
        `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
        undefined,
        { timeoutMs },
      )
      if (!answer.ok) return answer
      const read = readUserDevices(userId, answer.value.body)
      if (read.ok) return read
      return err({ kind: 'http', status: 502, body: null, message: read.error })
    },

    async claimKeys(server, claims, timeoutMs) {
      const oneTimeKeys: Record<string, Record<string, string>> = {}
      for (const { userId, deviceId, algorithm } of claims) {
        oneTimeKeys[userId] = { ...oneTimeKeys[userId], [deviceId]: algorithm }
      }
      const answer = await requester.request(
        server,
        'POST',
        '/_matrix/federation/v1/user/keys/claim',
        { one_time_keys: oneTimeKeys },
        { timeoutMs },
      )
      if (!answer.ok) return answer
      const body = isJsonObject(answer.value.body) ? answer.value.body : {}
      const claimed = body['one_time_keys']
      const result: RemoteOneTimeKeys = {}
      if (!isJsonObject(claimed)) return ok(result)
      for (const [user, byDevice] of Object.entries(claimed)) {
        const asked = oneTimeKeys[user]
        if (asked === undefined || !isJsonObject(byDevice)) continue
        const kept: Record<string, Record<string, JsonValue>> = {}
        for (const [deviceId, keys] of Object.entries(byDevice)) {
          if (asked[deviceId] !== undefined && isJsonObject(keys)) kept[deviceId] = keys
        }
        result[user as UserId] = kept
      }
      return ok(result)
    },

    async publicRooms(server, body) {
      const answer = await requester.request(
        server,
        'POST',
        '/_matrix/federation/v1/publicRooms',
        body,
        { timeoutMs: DEFAULT_QUERY_TIMEOUT_MS },
      )
      if (!answer.ok) return err(clientErrorOf(answer.error, `the room directory of ${server}`))
      const page = answer.value.body
      if (!isJsonObject(page) || !Array.isArray(page['chunk'])) {
        return err(badGateway(`${server} sent no room directory`))
      }
      const chunk = (page['chunk'] as readonly JsonValue[]).filter(isPublicRoomChunk)
      const estimate = page['total_room_count_estimate']
      return ok({
        chunk,
        ...(typeof page['next_batch'] === 'string' ? { next_batch: page['next_batch'] } : {}),
        ...(typeof page['prev_batch'] === 'string' ? { prev_batch: page['prev_batch'] } : {}),
        total_room_count_estimate:
          typeof estimate === 'number' && Number.isSafeInteger(estimate) ? estimate : chunk.length,
      })
    },

    async hierarchy(server, roomId, suggestedOnly) {
      const answer = await requester.request(
        server,
        'GET',
        `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}`,
        undefined,
        {
          timeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
          query: { suggested_only: suggestedOnly ? 'true' : 'false' },
        },
      )
      if (!answer.ok) return err(clientErrorOf(answer.error, `the space ${roomId}`))
      const hierarchy = readHierarchyAnswer(answer.value.body, roomId)
      if (hierarchy === undefined) {
        return err(badGateway(`${server} sent no description of the space ${roomId}`))
      }
      return ok(hierarchy)
    },
  }
}

/** The fields a client relies on, with their types: a chunk without them is dropped. */
function isPublicRoomChunk(value: JsonValue): value is JsonObject & PublicRoomChunk {
  return (
    isJsonObject(value) &&
    typeof value['room_id'] === 'string' &&
    parseRoomId(value['room_id']).ok &&
    typeof value['num_joined_members'] === 'number' &&
    typeof value['world_readable'] === 'boolean' &&
    typeof value['guest_can_join'] === 'boolean'
  )
}

/**
 * What a client hears when another server could not answer: its own 404 or 403 passes through
 * (the thing does not exist, or may not be seen), and every other outcome is a 502.
 */
export function clientErrorOf(failure: FederationFailure, what: string): ServerError {
  if (failure.kind === 'http' && (failure.status === 404 || failure.status === 403)) {
    const body = failure.body
    const remote = isJsonObject(body) && typeof body['error'] === 'string' ? body['error'] : ''
    return failure.status === 404
      ? serverError('M_NOT_FOUND', remote === '' ? `${what} was not found` : remote)
      : serverError('M_FORBIDDEN', remote === '' ? `${what} may not be seen` : remote)
  }
  return badGateway(`could not get ${what}: ${failure.message}`)
}

function badGateway(message: string): ServerError {
  return serverError('M_UNKNOWN', message, { status: 502 })
}

/** A `failures` entry of `/keys/query` or `/keys/claim` for a server that could not answer. */
export function keyFailureOf(failure: FederationFailure): {
  readonly status: number
  readonly message: string
} {
  return failure.kind === 'http'
    ? { status: failure.status, message: failure.message }
    : { status: 503, message: failure.message }
}
