/**
 * Events a client sends: messages (with a transaction ID), state events, and redactions, which
 * the send endpoint also accepts in every room version (client-server-api §PUT .../send, v1.18).
 */
import {
  canonicalJson,
  err,
  namedPowerLevel,
  ok,
  parseEventId,
  powerLevelsFromState,
  StateMap,
  userPowerLevel,
  type EventId,
  type JsonObject,
  type Pdu,
  type Result,
  type RoomId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { badJson, forbidden, notFound, type ServerError } from '../http/errors.js'
import type { TxnKey } from '../storage/interface.js'
import type { Precheck, RoomSnapshot } from './event-pipeline.js'
import type { RoomContext } from './room-context.js'
import { relationPrecheck } from './relation-checks.js'
import { checkCanonicalAlias } from './room-aliases.js'
import { scopedTxnId, type TxnScope } from './txn-scope.js'

export async function sendMessage(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  eventType: string,
  txnId: string,
  content: JsonObject,
): Promise<Result<EventId, ServerError>> {
  const txn = txnKey(requester, { endpoint: 'send', roomId, eventType }, txnId)
  if (eventType === 'm.room.redaction') {
    const redacts = content['redacts']
    const target = typeof redacts === 'string' ? parseEventId(redacts) : undefined
    if (target === undefined || !target.ok) {
      return err(badJson('An m.room.redaction needs the ID of the event it redacts in redacts'))
    }
    return sendRedaction(ctx, requester, roomId, target.value, content, txn)
  }
  const precheck = relationPrecheck(ctx, requester.userId, eventType, content)
  const sent = await ctx.pipeline.send(
    roomId,
    { type: eventType, sender: requester.userId, content },
    { txn, ...(precheck === undefined ? {} : { precheck }) },
  )
  return sent.ok ? ok(sent.value.eventId) : sent
}

export async function sendState(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  eventType: string,
  stateKey: string,
  content: JsonObject,
): Promise<Result<EventId, ServerError>> {
  // Setting a state to what it already is sends nothing and answers with the event that set it,
  // as other servers do: clients re-send state freely.
  const precheck: Precheck = async (room) => {
    const current = await room.stateEvent(eventType, stateKey)
    if (eventType === 'm.room.canonical_alias' && stateKey === '') {
      const checked = await checkCanonicalAlias(ctx, roomId, content, current?.content)
      if (!checked.ok) return checked
    }
    if (
      current !== undefined &&
      current.sender === requester.userId &&
      canonicalJson(current.content) === canonicalJson(content)
    ) {
      return ok({ kind: 'unchanged', eventId: current.eventId })
    }
    return ok({ kind: 'send' })
  }
  const sent = await ctx.pipeline.send(
    roomId,
    { type: eventType, stateKey, sender: requester.userId, content },
    { precheck },
  )
  return sent.ok ? ok(sent.value.eventId) : sent
}

/** `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`. */
export function redactEvent(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: EventId,
  txnId: string,
  reason: string | undefined,
): Promise<Result<EventId, ServerError>> {
  const txn = txnKey(requester, { endpoint: 'redact', roomId, eventId: target }, txnId)
  const content: JsonObject = reason === undefined ? {} : { reason }
  return sendRedaction(ctx, requester, roomId, target, content, txn)
}

/**
 * The auth rules let anyone with the `m.room.redaction` event level send a redaction; whether it
 * takes effect is decided apart (rooms/v3 §Handling redactions). For our own users the check is
 * made before sending: they may redact their own events, and others' with the `redact` level.
 */
async function sendRedaction(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: EventId,
  content: JsonObject,
  txn: TxnKey,
): Promise<Result<EventId, ServerError>> {
  const precheck: Precheck = async (room) => {
    const stored = await ctx.deps.storage.events.getEvent(target)
    if (
      stored === undefined ||
      stored.pdu.roomId !== roomId ||
      stored.rejectionReason !== undefined
    ) {
      return err(notFound(`Event ${target} not found in ${roomId}`))
    }
    if (stored.pdu.sender === requester.userId) return ok({ kind: 'send' })
    return (await mayRedactOthers(room, requester))
      ? ok({ kind: 'send' })
      : err(forbidden("You don't have permission to redact events sent by others"))
  }
  const sent = await ctx.pipeline.send(
    roomId,
    { type: 'm.room.redaction', sender: requester.userId, content, redacts: target },
    { txn, precheck },
  )
  return sent.ok ? ok(sent.value.eventId) : sent
}

async function mayRedactOthers(room: RoomSnapshot, requester: Requester): Promise<boolean> {
  const create = await room.stateEvent('m.room.create', '')
  const powerLevels = await room.stateEvent('m.room.power_levels', '')
  if (create === undefined) return false
  const state = new StateMap<Pdu>([['m.room.create', '', create]])
  if (powerLevels !== undefined) state.set('m.room.power_levels', '', powerLevels)
  const required = namedPowerLevel(powerLevelsFromState(state, room.rules), 'redact')
  return userPowerLevel(requester.userId, state, room.rules) >= required
}

/** Transactions belong to a device; a token without one shares the empty device ID. */
function txnKey(requester: Requester, scope: TxnScope, txnId: string): TxnKey {
  return {
    userId: requester.userId,
    deviceId: requester.deviceId ?? '',
    txnId: scopedTxnId(scope, txnId),
  }
}
