import type { EventId, JsonObject, UserId } from '@rhizome/core'
import type { Storage, StoredEvent } from '../storage/interface.js'
import { aggregationCandidates, bundleOf } from './bundled-aggregations.js'
import { toClientEvent, type ClientEvent } from './client-event.js'

/** Who is asking, for `unsigned.transaction_id` (only the sending device sees it). */
export interface Viewer {
  readonly userId: UserId
  readonly deviceId: string | undefined
}

export interface SerializeOptions {
  readonly viewer?: Viewer
  /**
   * Add `prev_content`, `prev_sender` and `replaces_state` to state events (default true). This
   * reads the state before each state event; lists of current state leave it out.
   */
  readonly prevContent?: boolean
  /** The /sync format, without `room_id`. */
  readonly withoutRoomId?: boolean
  /**
   * Bundle aggregations into `unsigned['m.relations']` (default true; state events never get
   * any). 'nested': for a thread's latest event, whose own thread is not followed.
   */
  readonly aggregations?: boolean | 'nested'
}

/**
 * The client's transaction IDs of the given events, when `viewer`'s device sent them. Storage
 * keeps transactions by (user, device, ID); this reads them back by event.
 */
export type TransactionIdLookup = (
  viewer: Viewer & { readonly deviceId: string },
  eventIds: readonly EventId[],
) => Promise<ReadonlyMap<EventId, string>>

export interface ClientEventSerializerDeps {
  readonly storage: Storage
  readonly now: () => number
  readonly transactionIds?: TransactionIdLookup
}

/**
 * Serializes stored events for clients, loading in a few batched reads what the format needs
 * beyond the event: the redactions of redacted events, the state each state event replaced, the
 * sending device's transaction IDs, and the bundled aggregations (one query, then one read of the
 * edits and latest thread replies it names).
 */
export class ClientEventSerializer {
  readonly #deps: ClientEventSerializerDeps

  constructor(deps: ClientEventSerializerDeps) {
    this.#deps = deps
  }

  async serializeOne(event: StoredEvent, options: SerializeOptions = {}): Promise<ClientEvent> {
    const [one] = await this.serialize([event], options)
    if (one === undefined) throw new Error('serialize returned nothing for one event')
    return one
  }

  async serialize(
    events: readonly StoredEvent[],
    options: SerializeOptions = {},
  ): Promise<ClientEvent[]> {
    if (events.length === 0) return []
    const [redactions, replaced, txnIds, bundles] = await Promise.all([
      this.#redactions(events, options),
      options.prevContent === false ? new Map<EventId, StoredEvent>() : this.#replaced(events),
      this.#transactionIds(events, options.viewer),
      options.aggregations === false
        ? new Map<EventId, JsonObject>()
        : this.#bundles(events, options),
    ])
    const now = this.#deps.now()
    return events.map((event) => {
      const redaction =
        event.redactedBy === undefined ? undefined : redactions.get(event.redactedBy)
      const previous = replaced.get(event.pdu.eventId)
      const txnId = txnIds.get(event.pdu.eventId)
      const relations = bundles.get(event.pdu.eventId)
      return toClientEvent(event, {
        now,
        ...(redaction === undefined ? {} : { redactedBecause: redaction }),
        ...(previous === undefined
          ? {}
          : { replaces: { pdu: previous.pdu, redacted: previous.redactedBy !== undefined } }),
        ...(txnId === undefined ? {} : { transactionId: txnId }),
        ...(options.withoutRoomId === true ? { withoutRoomId: true } : {}),
        ...(relations === undefined ? {} : { relations }),
      })
    })
  }

  /** The `m.relations` of each event that has any (see bundled-aggregations.ts). */
  async #bundles(
    events: readonly StoredEvent[],
    options: SerializeOptions,
  ): Promise<Map<EventId, JsonObject>> {
    const out = new Map<EventId, JsonObject>()
    const { parents, editable } = aggregationCandidates(events)
    if (parents.length === 0) return out
    const { storage } = this.#deps
    const viewer = options.viewer?.userId
    const aggregates = await storage.relations.aggregations({ parents, editable, viewer })
    if (aggregates.size === 0) return out
    const nested = options.aggregations === 'nested'
    const edits = new Set<EventId>()
    const latest = new Set<EventId>()
    for (const aggregate of aggregates.values()) {
      if (aggregate.latestEdit !== undefined) edits.add(aggregate.latestEdit)
      // A thread's latest reply is not followed into its own thread, so no loop can form.
      if (aggregate.thread !== undefined && !nested) latest.add(aggregate.thread.latestEventId)
    }
    const loaded =
      edits.size + latest.size === 0
        ? new Map<EventId, StoredEvent>()
        : await storage.events.getEvents([...edits, ...latest])
    const serialized = new Map<EventId, ClientEvent>()
    const now = this.#deps.now()
    for (const id of edits) {
      const edit = loaded.get(id)
      if (edit === undefined) continue
      serialized.set(
        id,
        toClientEvent(edit, {
          now,
          ...(options.withoutRoomId === true ? { withoutRoomId: true } : {}),
        }),
      )
    }
    const replies = [...latest].flatMap((id) => loaded.get(id) ?? [])
    const repliesJson = await this.serialize(replies, { ...options, aggregations: 'nested' })
    replies.forEach((reply, i) => {
      const json = repliesJson[i]
      if (json !== undefined) serialized.set(reply.pdu.eventId, json)
    })
    for (const event of events) {
      const bundle = bundleOf({
        parent: event,
        aggregates: aggregates.get(event.pdu.eventId),
        serialized,
        viewer,
      })
      if (bundle !== undefined) out.set(event.pdu.eventId, bundle)
    }
    return out
  }

  async #redactions(
    events: readonly StoredEvent[],
    options: SerializeOptions,
  ): Promise<Map<EventId, ClientEvent>> {
    const ids = new Set<EventId>()
    for (const event of events) if (event.redactedBy !== undefined) ids.add(event.redactedBy)
    const out = new Map<EventId, ClientEvent>()
    if (ids.size === 0) return out
    const loaded = await this.#deps.storage.events.getEvents([...ids])
    const now = this.#deps.now()
    for (const [id, redaction] of loaded) {
      out.set(
        id,
        toClientEvent(redaction, {
          now,
          ...(options.withoutRoomId === true ? { withoutRoomId: true } : {}),
        }),
      )
    }
    return out
  }

  /** The state event each state event replaced, read from the state before it. */
  async #replaced(events: readonly StoredEvent[]): Promise<Map<EventId, StoredEvent>> {
    const { storage } = this.#deps
    const previousIds = new Map<EventId, EventId>()
    const groups = new Map<number, StoredEvent[]>()
    for (const event of events) {
      if (event.pdu.stateKey === undefined || event.stateGroupBefore === undefined) continue
      const list = groups.get(event.stateGroupBefore) ?? []
      list.push(event)
      groups.set(event.stateGroupBefore, list)
    }
    await Promise.all(
      [...groups].map(async ([group, members]) => {
        const state = await storage.state.loadState(group)
        for (const event of members) {
          const previous = state.get(event.pdu.type, event.pdu.stateKey ?? '')
          if (previous !== undefined && previous !== event.pdu.eventId) {
            previousIds.set(event.pdu.eventId, previous)
          }
        }
      }),
    )
    const out = new Map<EventId, StoredEvent>()
    if (previousIds.size === 0) return out
    const loaded = await storage.events.getEvents([...new Set(previousIds.values())])
    for (const [eventId, previousId] of previousIds) {
      const previous = loaded.get(previousId)
      if (previous !== undefined) out.set(eventId, previous)
    }
    return out
  }

  async #transactionIds(
    events: readonly StoredEvent[],
    viewer: Viewer | undefined,
  ): Promise<ReadonlyMap<EventId, string>> {
    const lookup = this.#deps.transactionIds
    const deviceId = viewer?.deviceId
    if (lookup === undefined || viewer === undefined || deviceId === undefined) return new Map()
    const own = events.filter((e) => e.pdu.sender === viewer.userId).map((e) => e.pdu.eventId)
    if (own.length === 0) return new Map()
    return lookup({ userId: viewer.userId, deviceId }, own)
  }
}
