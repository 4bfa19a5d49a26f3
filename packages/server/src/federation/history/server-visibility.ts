/**
 * Which of a room's events another server may have (client-server-api §Room History Visibility,
 * as servers apply it to each other: an event goes to a server only if one of its users could see
 * it). For each event the room's state after it decides:
 *
 * - `world_readable`: every server;
 * - `shared`: every server in the room now, since each of its users may read it once joined;
 * - `invited`: a server with a user invited or joined at the event;
 * - `joined`: a server with a user joined at the event.
 *
 * An event the server may not see is handed out redacted, as other homeservers do: the server
 * still needs it to link the room's graph and to check later events, but not its content. An
 * event held without state (an outlier) is judged by whether the server is in the room now.
 */
import {
  isJsonObject,
  redactEvent,
  roomVersionRules,
  userIdServerName,
  type EventId,
  type JsonObject,
  type ReadonlyStateMap,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { historyVisibilityOf, membershipOf } from '../../rooms/history-visibility.js'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage, StoredEvent } from '../../storage/interface.js'

export interface ServerVisibilityDeps {
  readonly storage: Pick<Storage, 'rooms' | 'state'>
  readonly pdus: PduLoader
}

/** The way an event is handed to the server. */
export type ServedAs = 'whole' | 'redacted'

/** One server's view of one room's history, for the events of one request. */
export class ServerHistoryView {
  readonly #deps: ServerVisibilityDeps
  readonly #roomId: RoomId
  readonly #origin: ServerName
  #inRoom: Promise<boolean> | undefined
  readonly #groups = new Map<number, Promise<'all' | 'in-room' | 'origin' | 'none'>>()

  constructor(deps: ServerVisibilityDeps, roomId: RoomId, origin: ServerName) {
    this.#deps = deps
    this.#roomId = roomId
    this.#origin = origin
  }

  /** Whether a user of the server is joined to the room now. */
  inRoom(): Promise<boolean> {
    this.#inRoom ??= this.#deps.storage.rooms
      .joinedMembers(this.#roomId)
      .then((members) => members.some((member) => userIdServerName(member) === this.#origin))
    return this.#inRoom
  }

  /** Whether the server may see the event's content. */
  async canSee(event: StoredEvent): Promise<boolean> {
    const group = event.stateGroupAfter
    if (group === undefined) return this.inRoom()
    let who = this.#groups.get(group)
    if (who === undefined) {
      who = this.#whoSees(group)
      this.#groups.set(group, who)
    }
    switch (await who) {
      case 'all':
      case 'origin':
        return true
      case 'in-room':
        return this.inRoom()
      case 'none':
        return false
    }
  }

  /** May the server ask about this event at all: it is in the room, or the event is public. */
  async mayAsk(event: StoredEvent | undefined): Promise<boolean> {
    if (await this.inRoom()) return true
    const group = event?.stateGroupAfter
    if (group === undefined) return false
    return (await this.#whoSees(group)) === 'all'
  }

  /** The event as the server gets it: whole, or redacted when it may not see the content. */
  async serve(event: StoredEvent): Promise<JsonObject | undefined> {
    const parsed: unknown = JSON.parse(event.json)
    if (!isJsonObject(parsed)) return undefined
    // A redacted event keeps no content for anybody.
    if (event.redactedBy === undefined && (await this.canSee(event))) return parsed
    const rules = roomVersionRules(event.roomVersion)
    return rules === undefined ? undefined : redactEvent(parsed, rules)
  }

  async #whoSees(group: number): Promise<'all' | 'in-room' | 'origin' | 'none'> {
    const state = await this.#deps.storage.state.loadState(group)
    const visibilityId = state.get('m.room.history_visibility', '')
    const visibility = historyVisibilityOf(
      visibilityId === undefined ? undefined : await this.#deps.pdus.loadOne(visibilityId),
    )
    if (visibility === 'world_readable') return 'all'
    if (visibility === 'shared') return 'in-room'
    const memberships = await this.#originMemberships(state)
    if (memberships.includes('join')) return 'origin'
    if (visibility === 'invited' && memberships.includes('invite')) return 'origin'
    return 'none'
  }

  /** The memberships of the server's users in a state. */
  async #originMemberships(state: ReadonlyStateMap<EventId>): Promise<string[]> {
    const ids: EventId[] = []
    for (const [type, stateKey, id] of state) {
      if (type !== 'm.room.member') continue
      if (userIdServerName(stateKey as UserId) === this.#origin) ids.push(id)
    }
    const loaded = await this.#deps.pdus.load(ids)
    const out: string[] = []
    for (const pdu of loaded.values()) {
      const membership = membershipOf(pdu)
      if (membership !== undefined) out.push(membership)
    }
    return out
  }
}
