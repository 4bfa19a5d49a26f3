/**
 * FOR TESTS ONLY. Several servers in one process, each with its own storage, signing key and
 * room service, whose federation requests are answered by the other servers' handlers directly
 * (no HTTP): the membership handshakes (joins, leaves, knocks, invites) end to end, without
 * outgoing transactions.
 */
import {
  generateSigningKey,
  type EventId,
  type JsonObject,
  type RoomId,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { receiveInvite, type InviteReceiverDeps } from '../federation/membership/invite-receiver.js'
import type { ResidentDeps } from '../federation/membership/resident-handshake.js'
import { makeJoin, sendJoin } from '../federation/membership/resident-join.js'
import { makeKnock, sendKnock } from '../federation/membership/resident-knock.js'
import { makeLeave, sendLeave } from '../federation/membership/resident-leave.js'
import { createRoomFederation } from '../federation/room-federation.js'
import type { FederationRequester } from '../federation/transport/federation-client.js'
import { toHttpError, type ServerError } from '../http/errors.js'
import type { Requester } from '../http/authenticate.js'
import type { Logger } from '../logging/logger.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { knownKeys, storedRoomRules } from './federation-fixtures.js'
import { crypto, must, userId } from './room-kit.js'

export interface WiredServer {
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly storage: Storage
  readonly rooms: RoomService
  readonly resident: ResidentDeps
  readonly invites: InviteReceiverDeps
  /** A local user, created on first use. */
  user(localpart: string): Promise<Requester>
}

const quiet: Pick<Logger, 'warn'> = { warn: () => undefined }

/** One server per name, on the storages given, wired to each other. */
export function wireServers(
  named: readonly { readonly serverName: ServerName; readonly storage: Storage }[],
): Map<ServerName, WiredServer> {
  const keys = new Map<ServerName, SigningKey>()
  for (const { serverName } of named) keys.set(serverName, generateSigningKey(crypto, 'w1'))
  const lookup = knownKeys(Object.fromEntries(keys))
  const servers = new Map<ServerName, WiredServer>()
  for (const { serverName, storage } of named) {
    const signingKey = keys.get(serverName)
    if (signingKey === undefined) throw new Error('no key')
    const requester = wire(serverName, servers)
    const federation = createRoomFederation({
      storage,
      serverName,
      sender: undefined,
      remoteJoin: {
        storage,
        requester,
        keys: lookup,
        crypto,
        serverName,
        signingKey,
        now: Date.now,
      },
      remote: undefined,
      logger: quiet,
    })
    const rooms = createRoomService({
      storage,
      serverName,
      signingKey,
      crypto,
      now: Date.now,
      federation,
    })
    const resident: ResidentDeps = {
      storage,
      pdus: rooms.pipeline.pdus,
      crypto,
      keys: lookup,
      serverName,
      signingKey,
      now: Date.now,
      roomRules: storedRoomRules(storage),
    }
    servers.set(serverName, {
      serverName,
      signingKey,
      storage,
      rooms,
      resident,
      invites: { storage, crypto, keys: lookup, serverName, signingKey },
      user: async (localpart) => {
        const id: UserId = userId(localpart, serverName)
        if ((await storage.accounts.getUser(id)) === undefined) {
          must(await storage.accounts.createUser({ userId: id, createdTs: 1 }))
        }
        return { userId: id, deviceId: 'D', isGuest: false }
      },
    })
  }
  return servers
}

/** `origin`'s requests, answered by the destination's handlers. */
function wire(
  origin: ServerName,
  servers: ReadonlyMap<ServerName, WiredServer>,
): Pick<FederationRequester, 'request'> {
  return {
    async request(destination, method, path, body, options) {
      const server = servers.get(destination)
      if (server === undefined) {
        return { ok: false, error: { kind: 'unreachable', message: `${destination} is down` } }
      }
      const parts = path.split('/').map(decodeURIComponent)
      const [kind, first, second] = [parts.slice(3, 5).join('/'), parts[5], parts[6]]
      const roomId = first as RoomId
      const ver = options?.query?.['ver']
      const versions = typeof ver === 'string' ? [ver] : [...(ver ?? [])]
      const resident = server.resident
      const answer = async (): Promise<
        { ok: true; value: unknown } | { ok: false; error: ServerError }
      > => {
        const input = body ?? {}
        switch (`${method} ${kind}`) {
          case 'GET v1/make_join':
            return makeJoin(resident, origin, roomId, second as UserId, versions)
          case 'PUT v2/send_join':
            return sendJoin(resident, origin, roomId, second as EventId, input)
          case 'GET v1/make_leave':
            return makeLeave(resident, origin, roomId, second as UserId)
          case 'PUT v2/send_leave':
            return sendLeave(resident, origin, roomId, second as EventId, input)
          case 'GET v1/make_knock':
            return makeKnock(resident, origin, roomId, second as UserId, versions)
          case 'PUT v1/send_knock':
            return sendKnock(resident, origin, roomId, second as EventId, input)
          case 'PUT v2/invite':
            return receiveInvite(server.invites, origin, roomId, second as EventId, input)
          default:
            return { ok: false, error: { errcode: 'M_UNRECOGNIZED', error: path, status: 404 } }
        }
      }
      const result = await answer()
      if (result.ok) {
        return { ok: true, value: { status: 200, body: result.value as JsonObject } }
      }
      const http = toHttpError(result.error)
      return {
        ok: false,
        error: {
          kind: 'http',
          status: http.status,
          body: http.body,
          message: `${http.status} ${result.error.errcode}: ${result.error.error}`,
        },
      }
    },
  }
}
