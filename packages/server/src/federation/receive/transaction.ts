/**
 * `PUT /_matrix/federation/v1/send/{txnId}` (server-server-api §Transactions): the PDUs of a
 * transaction go through the checks on receipt one by one, in the order sent, and each gets a
 * result, and then the EDUs go to their handlers (edu/inbound-edus.ts). A PDU for a room this server is not in is refused. A repeated
 * transaction is answered the same way, because receiving an event twice changes nothing.
 */
import {
  checkReceivedPdu,
  err,
  isJsonObject,
  ok,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerKeyLookup,
  type ServerName,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { Logger } from '../../logging/logger.js'
import { receiveEdus, type EduHandlers } from '../edu/inbound-edus.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { receiveAcrossGap } from './gap-state.js'
import {
  receiveRoomEvent,
  type ReceiveOutcome,
  type RoomEventReceiverDeps,
} from './room-event-receiver.js'

/** How many missing events one fill asks the sender for (the spec's default is 10). */
export const MISSING_EVENTS_LIMIT = 20

/** The spec's limits on one transaction. */
export const MAX_TRANSACTION_PDUS = 50
export const MAX_TRANSACTION_EDUS = 100

export interface Transaction {
  readonly origin: ServerName
  readonly pdus: readonly JsonValue[]
  readonly edus: readonly JsonValue[]
}

export interface TransactionDeps extends RoomEventReceiverDeps {
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  /** The room's version rules, or undefined when this server is not in the room. */
  readonly roomRules: (roomId: RoomId) => Promise<RoomVersionRules | undefined>
  /** For asking the sender for what an event cites; without it, nothing is fetched. */
  readonly requester?: Pick<FederationRequester, 'request'>
  readonly logger?: Pick<Logger, 'debug' | 'info'>
  /** What to do with each type of EDU; without it, EDUs are dropped. */
  readonly edus?: EduHandlers
  /**
   * Takes a PDU of a room this server is not in that ends a local user's invite or knock
   * (membership/out-of-band-receiver.ts); without it, such PDUs are dropped like the others.
   */
  readonly outOfBand?: (pdu: JsonValue) => Promise<boolean>
}

export interface TransactionResult {
  readonly pdus: Record<string, { readonly error?: string }>
}

export function parseTransaction(body: JsonObject): Result<Transaction, ServerError> {
  const origin = body['origin']
  const pdus = body['pdus']
  const edus = body['edus'] ?? []
  if (typeof origin !== 'string') return err(badJson('origin must be a server name'))
  if (typeof body['origin_server_ts'] !== 'number') {
    return err(badJson('origin_server_ts must be an integer'))
  }
  if (!Array.isArray(pdus)) return err(badJson('pdus must be a list'))
  if (!Array.isArray(edus)) return err(badJson('edus must be a list'))
  if (pdus.length > MAX_TRANSACTION_PDUS || edus.length > MAX_TRANSACTION_EDUS) {
    return err(
      serverError(
        'M_TOO_LARGE',
        `A transaction holds at most ${MAX_TRANSACTION_PDUS} PDUs and ${MAX_TRANSACTION_EDUS} EDUs`,
      ),
    )
  }
  return ok({ origin: origin as ServerName, pdus, edus })
}

export async function receiveTransaction(
  deps: TransactionDeps,
  origin: ServerName,
  transaction: Transaction,
): Promise<Result<TransactionResult, ServerError>> {
  if (transaction.origin !== origin) {
    return err(serverError('M_FORBIDDEN', 'origin is not the server that signed the request'))
  }
  // Events of a server that is down can still be checked with the keys the sender holds.
  const keys = keyLookup(deps.keys, [origin])
  const results: Record<string, { readonly error?: string }> = {}
  for (const json of transaction.pdus) {
    const roomId = isJsonObject(json) ? json['room_id'] : undefined
    if (typeof roomId !== 'string') continue
    const rules = await deps.roomRules(roomId as RoomId)
    if (rules === undefined) {
      if ((await deps.outOfBand?.(json)) === true) continue
      deps.logger?.debug({ origin, room_id: roomId }, 'a PDU for a room this server is not in')
      continue
    }
    const checked = await checkReceivedPdu(json, rules, deps.crypto, keys)
    if (!checked.ok) {
      deps.logger?.info({ origin, error: checked.error.error }, 'refused a PDU')
      continue
    }
    const { pdu } = checked.value
    let outcome = await receiveRoomEvent(deps, pdu, rules)
    if (outcome.ok && outcome.value.kind === 'missing' && outcome.value.prev.length > 0) {
      // A gap before the event: the sender fills it (its auth events are usually in it too),
      // then the event is taken again.
      await fetchMissingEvents(deps, origin, pdu.roomId, pdu.eventId, rules)
      outcome = await receiveRoomEvent(deps, pdu, rules)
    }
    if (outcome.ok && outcome.value.kind === 'missing' && deps.requester !== undefined) {
      // Still a gap (or auth events missing): take the event with the sender's state before it.
      const requester = deps.requester
      outcome = await receiveAcrossGap({ ...deps, requester }, origin, pdu, rules, outcome.value)
    }
    if (!outcome.ok) {
      results[pdu.eventId] = { error: outcome.error }
      continue
    }
    switch (outcome.value.kind) {
      case 'accepted':
      case 'duplicate':
      case 'soft-failed':
        results[pdu.eventId] = {}
        break
      case 'rejected':
        results[pdu.eventId] = { error: outcome.value.reason }
        break
      case 'missing':
        results[pdu.eventId] = {
          error: `missing events: ${[...outcome.value.auth, ...outcome.value.prev].join(', ')}`,
        }
        break
    }
  }
  if (deps.edus !== undefined) {
    await receiveEdus(deps.edus, origin, transaction.edus, deps.logger)
  }
  return ok({ pdus: results })
}

/**
 * The core's key lookup, answered by the key fetcher one key at a time; `handedBy` are the
 * servers the events came from, asked as notaries for keys found nowhere else.
 */
export function keyLookup(
  fetcher: Pick<KeyFetcher, 'verifyKey'>,
  handedBy: readonly ServerName[] = [],
): ServerKeyLookup {
  return async (serverName, keyIds, eventTs) => {
    const found = new Map<string, Uint8Array>()
    for (const keyId of keyIds) {
      const key = await fetcher.verifyKey(serverName as ServerName, keyId, eventTs ?? 0, handedBy)
      if (key.ok) found.set(keyId, key.value)
    }
    return found
  }
}

/**
 * Asks `origin` for the events between this server's forward extremities and `eventId`
 * (`/get_missing_events`), and takes those that verify, oldest first. What is still missing
 * after that stays missing: the state at a deeper gap is fetched another way.
 */
async function fetchMissingEvents(
  deps: TransactionDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: string,
  rules: RoomVersionRules,
): Promise<void> {
  if (deps.requester === undefined) return
  const extremities = await deps.storage.withRoomWriteLock(roomId, (room) =>
    room.getForwardExtremities(),
  )
  const minDepth = Math.min(...extremities.map((e) => e.depth))
  const response = await deps.requester.request(
    origin,
    'POST',
    `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`,
    {
      earliest_events: extremities.map((e) => e.eventId),
      latest_events: [eventId],
      limit: MISSING_EVENTS_LIMIT,
      min_depth: Number.isFinite(minDepth) ? minDepth : 0,
    },
  )
  if (!response.ok) {
    deps.logger?.info({ origin, room_id: roomId, error: response.error }, 'no missing events')
    return
  }
  const body = response.value.body
  const events = isJsonObject(body) && Array.isArray(body['events']) ? body['events'] : []
  const checked = []
  for (const json of events.slice(0, MISSING_EVENTS_LIMIT)) {
    const event = await checkReceivedPdu(json, rules, deps.crypto, keyLookup(deps.keys, [origin]))
    if (event.ok && event.value.pdu.roomId === roomId) checked.push(event.value.pdu)
  }
  checked.sort((a, b) => a.depth - b.depth)
  for (const pdu of checked) {
    const outcome: Result<ReceiveOutcome, string> = await receiveRoomEvent(deps, pdu, rules)
    if (!outcome.ok) deps.logger?.info({ origin, error: outcome.error }, 'a missing event failed')
  }
}
