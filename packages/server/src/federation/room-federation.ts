/**
 * What the room service needs of federation (rooms/room-context.ts RoomFederation): joining a
 * room that lives on other servers, sending this server's new events to the other servers in
 * their rooms through the durable outgoing queue, and describing other servers' rooms in spaces.
 *
 * An event is queued right after it is stored, under the room's write lock, and before the
 * client is told it was sent: a crash between the two leaves an event the client was never
 * told of, which the room's next event brings to the other servers (/get_missing_events).
 */
import {
  err,
  ok,
  userIdServerName,
  type EventId,
  type JsonObject,
  type Pdu,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { forbidden, notFound, type ServerError } from '../http/errors.js'
import type { Logger } from '../logging/logger.js'
import type { RoomFederation } from '../rooms/room-context.js'
import type { Storage } from '../storage/interface.js'
import { sendRemoteInvite } from './membership/remote-invite.js'
import { joinRemoteRoom, type RemoteJoinDeps } from './membership/remote-join.js'
import { knockOnRemoteRoom, leaveRemoteRoom } from './membership/remote-membership.js'
import { RemoteHierarchyCache } from './queries/remote-hierarchy.js'
import type { RemoteQueries } from './queries/remote-queries.js'
import type { FederationSender } from './sender/federation-sender.js'

export interface RoomFederationDeps {
  readonly storage: Pick<Storage, 'rooms'>
  readonly serverName: ServerName
  /** Undefined when federation is switched off: nothing is sent, no remote room joined. */
  readonly sender: Pick<FederationSender, 'enqueuePdu'> | undefined
  readonly remoteJoin: RemoteJoinDeps | undefined
  /** Asks other servers about their aliases and spaces; undefined when federation is off. */
  readonly remote: Pick<RemoteQueries, 'resolveAlias' | 'hierarchy'> | undefined
  readonly logger: Pick<Logger, 'warn'>
  /** The clock the answers about other servers' spaces are kept by; Date.now when absent. */
  readonly now?: () => number
  /** Fetches older history of a room (history/request-backfill.ts); absent with federation off. */
  readonly backfill?: (roomId: RoomId, limit: number) => Promise<number>
}

export interface RoomFederationHooks extends RoomFederation {
  /** Sends another server's event on to the room's other servers (a join made through us). */
  readonly forward: (pdu: Pdu, except: ServerName) => void
}

export function createRoomFederation(deps: RoomFederationDeps): RoomFederationHooks {
  const send = async (pdu: Pdu, except: ServerName | undefined): Promise<void> => {
    const { sender } = deps
    if (sender === undefined) return
    try {
      const destinations = await destinationsOf(deps, pdu)
      const others = destinations.filter((server) => server !== except)
      if (others.length === 0) return
      await sender.enqueuePdu(others, { roomId: pdu.roomId, eventId: pdu.eventId, pdu: pdu.json })
    } catch (error) {
      deps.logger.warn(
        { err: error, event_id: pdu.eventId },
        'could not queue an event for other servers',
      )
    }
  }
  const hierarchy =
    deps.remote === undefined
      ? undefined
      : new RemoteHierarchyCache({
          remote: deps.remote,
          serverName: deps.serverName,
          now: deps.now ?? Date.now,
        })
  return {
    ...(hierarchy === undefined ? {} : { hierarchy }),
    joinRemote: (
      roomId: RoomId,
      userId: UserId,
      servers: readonly ServerName[],
      content: JsonObject,
    ): Promise<Result<EventId, ServerError>> =>
      joinThroughOthers(deps, roomId, userId, servers, content),
    inviteRemote: (invite, rules, roomState) =>
      deps.remoteJoin === undefined
        ? Promise.resolve(err(federationOff()))
        : sendRemoteInvite(deps.remoteJoin, invite, rules, roomState),
    knockRemote: (roomId, userId, servers, content) =>
      deps.remoteJoin === undefined
        ? Promise.resolve(err(federationOff()))
        : knockOnRemoteRoom(deps.remoteJoin, { roomId, userId, servers, content }),
    leaveRemote: (roomId, userId, servers, content) =>
      deps.remoteJoin === undefined
        ? Promise.resolve(err(federationOff()))
        : leaveRemoteRoom(deps.remoteJoin, { roomId, userId, servers, content }),
    resolveAlias: async (alias) => {
      if (deps.remote === undefined) {
        return err(notFound(`Room alias ${alias} is on another server, and federation is off`))
      }
      const found = await deps.remote.resolveAlias(alias)
      return found.ok ? ok({ roomId: found.value.room_id, servers: found.value.servers }) : found
    },
    eventCreated: (pdu) => send(pdu, undefined),
    ...(deps.backfill === undefined ? {} : { backfill: deps.backfill }),
    forward: (pdu, except) => {
      void send(pdu, except)
    },
  }
}

/**
 * The servers of the room's joined members, and of a member event's subject (an invite, a kick
 * or a ban reaches the server of the user it is about), without this one.
 */
async function destinationsOf(deps: RoomFederationDeps, pdu: Pdu): Promise<ServerName[]> {
  const members = await deps.storage.rooms.joinedMembers(pdu.roomId)
  const servers = new Set(members.map(userIdServerName))
  if (pdu.type === 'm.room.member' && pdu.stateKey !== undefined) {
    const colon = pdu.stateKey.indexOf(':')
    if (colon > 0) servers.add(pdu.stateKey.slice(colon + 1) as ServerName)
  }
  servers.delete(deps.serverName)
  return [...servers].sort()
}

function federationOff(): ServerError {
  return forbidden('Rooms on other servers need federation, which is switched off')
}

/** A join through other servers; refused (403) when a resident refused the user, else 404. */
async function joinThroughOthers(
  deps: RoomFederationDeps,
  roomId: RoomId,
  userId: UserId,
  servers: readonly ServerName[],
  content: JsonObject,
): Promise<Result<EventId, ServerError>> {
  if (deps.remoteJoin === undefined) {
    return err(notFound(`Room ${roomId} is on other servers, and federation is switched off`))
  }
  const joined = await joinRemoteRoom(deps.remoteJoin, { roomId, userId, servers, content })
  if (joined.ok) return joined
  const message = `Could not join ${roomId}: ${joined.error.message}`
  return err(joined.error.refused ? forbidden(message) : notFound(message))
}
