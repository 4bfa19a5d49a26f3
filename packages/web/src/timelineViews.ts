import type { MatrixClient, Room } from 'matrix-js-sdk'
import { toEventView, toRelatedEvent, type EventContext } from './eventView'
import { isEdit } from './messageRelations'
import type { OutboxEntry } from './outbox'
import { indexRelations } from './relations'
import type { EventView } from './timelineItems'

/**
 * The open room's messages as the timeline shows them: the live timeline, the SDK's local
 * echoes, then whatever the outbox still holds, with reactions, edits and replies resolved.
 */
export function roomEventViews(
  client: MatrixClient,
  room: Room,
  outbox: readonly OutboxEntry[],
): EventView[] {
  const nameOf = (userId: string): string => room.getMember(userId)?.name ?? userId
  const me = client.getSafeUserId()
  const pending = room.getPendingEvents()
  const events = [...room.getLiveTimeline().getEvents(), ...pending]
  const context: EventContext = {
    relations: indexRelations(events.map(toRelatedEvent), me),
    findEvent: (eventId) => room.findEventById(eventId),
  }
  const views = events.flatMap((event) => toEventView(event, nameOf, context) ?? [])
  // Messages the SDK is not currently sending are waiting in the outbox for the server.
  const inFlight = new Set(pending.map((event) => event.getTxnId()))
  for (const entry of outbox) {
    if (entry.roomId !== room.roomId || inFlight.has(entry.txnId) || isEdit(entry.content)) {
      continue
    }
    const view: EventView = {
      key: entry.txnId,
      senderId: me,
      senderName: nameOf(me),
      timestamp: entry.queuedAt,
      kind: 'message',
      body: entry.content.body,
      pending: 'waiting',
    }
    views.push(
      entry.content.formatted_body === undefined
        ? view
        : { ...view, html: entry.content.formatted_body },
    )
  }
  return views
}

/** The user's newest message that can still be edited (sent, text, not deleted). */
export function lastEditable(views: readonly EventView[], me: string): EventView | undefined {
  for (let i = views.length - 1; i >= 0; i--) {
    const view = views[i]
    if (view !== undefined && isEditable(view, me)) return view
  }
  return undefined
}

export function isEditable(view: EventView, me: string): boolean {
  return (
    view.senderId === me &&
    view.kind === 'message' &&
    view.eventId !== undefined &&
    view.media === undefined &&
    view.emote !== true
  )
}
