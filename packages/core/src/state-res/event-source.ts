import { err, ok, type Result } from '../errors/result.js'
import { matrixError, type MatrixError } from '../errors/matrix-error.js'
import type { AuthCheckOptions } from '../auth/auth-context.js'
import type { Pdu } from '../events/pdu.js'
import { createEventIdOfRoom } from '../ids/room-id.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'

/** Looks up an event of the room by ID; `undefined` when the caller does not have it. */
export type FetchEvent = (eventId: EventId) => Pdu | undefined

/** Optional help from the caller that makes a resolution cheaper or more precise. */
export interface StateResolutionOptions {
  /**
   * Which events were rejected. Rejected events may still sit in state sets (they are resolved like
   * any other), but the iterative auth checks never use a rejected event as an auth event.
   * Defaults to "nothing is rejected".
   */
  readonly isRejected?: (eventId: EventId) => boolean
  /**
   * A precomputed auth chain (every event reachable through `auth_events`, the event itself
   * excluded), e.g. from a server's auth-chain index. Return `undefined` for events it does not
   * know; those are walked through `fetchEvent`. A wrong answer gives a wrong resolution.
   */
  readonly authChain?: (eventId: EventId) => ReadonlySet<EventId> | undefined
  /**
   * Passed to the auth rules, e.g. the signature verifier without which no third-party invite is
   * allowed (see auth/auth-context.ts).
   */
  readonly authCheckOptions?: AuthCheckOptions
}

export function eventNotFound(eventId: EventId): MatrixError {
  return matrixError('M_NOT_FOUND', `state resolution needs event ${eventId}, which is missing`)
}

/**
 * The events one resolution looks at, fetched once each. It also knows the room version's quirks
 * about auth events: from room v12 the create event is never listed in `auth_events`, but it still
 * authorises every event, so it is added to the list as an implicit auth event (as Synapse does).
 */
export class EventSource {
  readonly #fetch: FetchEvent
  readonly #implicitCreate: boolean
  readonly #isRejected: ((eventId: EventId) => boolean) | undefined
  readonly #authChain: ((eventId: EventId) => ReadonlySet<EventId> | undefined) | undefined
  readonly #events = new Map<EventId, Pdu | null>()

  constructor(fetch: FetchEvent, rules: RoomVersionRules, options: StateResolutionOptions = {}) {
    this.#fetch = fetch
    this.#implicitCreate = rules.eventFormat.roomIdIsCreateEventHash
    this.#isRejected = options.isRejected
    this.#authChain = options.authChain
  }

  /** The event, or `undefined` when the caller does not have it. */
  get(eventId: EventId): Pdu | undefined {
    const known = this.#events.get(eventId)
    if (known !== undefined) return known ?? undefined
    const fetched = this.#fetch(eventId)
    this.#events.set(eventId, fetched ?? null)
    return fetched
  }

  /** The event, or an `M_NOT_FOUND` error naming it. */
  require(eventId: EventId): Result<Pdu> {
    const pdu = this.get(eventId)
    return pdu === undefined ? err(eventNotFound(eventId)) : ok(pdu)
  }

  /** The IDs of the events that authorise `pdu`, the implicit v12 create event included. */
  authEventIds(pdu: Pdu): readonly EventId[] {
    const implicit = this.implicitAuthEvent(pdu)
    if (implicit === undefined) return pdu.authEvents
    let ids = WITH_IMPLICIT_CREATE.get(pdu)
    if (ids === undefined) {
      ids = [...pdu.authEvents, implicit]
      WITH_IMPLICIT_CREATE.set(pdu, ids)
    }
    return ids
  }

  /**
   * The auth event that `pdu` does not list but has (the v12 create event), unless it lists it
   * anyway. Hot loops use `pdu.authEvents` plus this, to avoid building a list per event.
   */
  implicitAuthEvent(pdu: Pdu): EventId | undefined {
    if (!this.#implicitCreate || (pdu.type === 'm.room.create' && pdu.stateKey === '')) {
      return undefined
    }
    const createId = createEventIdOfRoom(pdu.roomId)
    return pdu.authEvents.includes(createId) ? undefined : createId
  }

  isRejected(eventId: EventId): boolean {
    return this.#isRejected?.(eventId) ?? false
  }

  precomputedAuthChain(eventId: EventId): ReadonlySet<EventId> | undefined {
    return this.#authChain?.(eventId)
  }
}

/** Events are immutable, so their extended auth lists can be shared between resolutions. */
const WITH_IMPLICIT_CREATE = new WeakMap<Pdu, readonly EventId[]>()
