/**
 * The body of a push gateway's `POST /_matrix/push/v1/notify` (push-gateway-api) for one
 * notification and one pusher.
 */
import type { JsonObject, PushAction } from '@rhizome/core'
import type { StoredEvent } from '../storage/interface.js'
import type { PusherRecord } from '../storage/pusher-store.js'

/** What the body says about the event beyond the event itself. */
export interface NotificationDetails {
  readonly senderDisplayName: string | undefined
  readonly roomName: string | undefined
  /** Unread notifications across the user's rooms. */
  readonly unread: number
}

/** The tweaks the actions set: `highlight` without a value means true. */
export function tweaksOf(actions: readonly PushAction[]): JsonObject {
  const tweaks: Record<string, JsonObject[string]> = {}
  for (const action of actions) {
    if (typeof action !== 'object') continue
    const name = action['set_tweak']
    if (typeof name !== 'string') continue
    tweaks[name] = action['value'] ?? true
  }
  return tweaks
}

/**
 * The notify body. Without `format`, the event's fields are all there; with `event_id_only`
 * just the IDs and counts, for gateways that fetch the event themselves (for end-to-end
 * encrypted apps, so no content passes through the gateway).
 */
export function gatewayNotification(
  userId: string,
  event: StoredEvent,
  actions: readonly PushAction[],
  pusher: PusherRecord,
  details: NotificationDetails,
): JsonObject {
  const tweaks = tweaksOf(actions)
  const { url: _url, ...data } = pusher.data
  const device: JsonObject = {
    app_id: pusher.appId,
    pushkey: pusher.pushkey,
    pushkey_ts: Math.floor(pusher.pushkeyTs / 1000),
    data: data as JsonObject,
    tweaks,
  }
  const counts: JsonObject = details.unread > 0 ? { unread: details.unread } : {}
  // A notification that makes no sound and is no highlight can wait for the device to wake.
  const prio = tweaks['highlight'] === true || tweaks['sound'] !== undefined ? 'high' : 'low'
  const pdu = event.pdu
  if (pusher.data['format'] === 'event_id_only') {
    return {
      notification: { event_id: pdu.eventId, room_id: pdu.roomId, prio, counts, devices: [device] },
    }
  }
  const notification: Record<string, JsonObject[string]> = {
    event_id: pdu.eventId,
    room_id: pdu.roomId,
    type: pdu.type,
    sender: pdu.sender,
    prio,
    content: pdu.content,
    counts,
    devices: [device],
  }
  if (details.senderDisplayName !== undefined) {
    notification['sender_display_name'] = details.senderDisplayName
  }
  if (details.roomName !== undefined) notification['room_name'] = details.roomName
  if (pdu.type === 'm.room.member' && pdu.stateKey !== undefined) {
    notification['user_is_target'] = pdu.stateKey === userId
  }
  return { notification }
}
