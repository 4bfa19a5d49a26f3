/**
 * Checks on the relations of events our users send (client-server-api §Threading, validation of
 * `m.thread`; §Event annotations, avoiding duplicate annotations). They run under the room's write
 * lock, so two identical reactions sent at once cannot both pass. Events without such a relation
 * cost nothing here.
 */
import { err, isJsonObject, ok, type EventId, type JsonObject, type UserId } from '@rhizome/core'
import { serverError } from '../http/errors.js'
import { relationOf } from '../storage/engine/event-index.js'
import type { Precheck } from './event-pipeline.js'
import type { RoomContext } from './room-context.js'

/** The check for an event of `type` with `content` from `sender`; undefined when none applies. */
export function relationPrecheck(
  ctx: RoomContext,
  sender: UserId,
  type: string,
  content: JsonObject,
): Precheck | undefined {
  const relatesTo = content['m.relates_to']
  if (!isJsonObject(relatesTo)) return undefined
  const relType = relatesTo['rel_type']
  const rawParent = relatesTo['event_id']
  if (typeof rawParent !== 'string') return undefined
  // Looked up as is: an ID that is not stored (or not an ID) finds nothing.
  const parentId = rawParent as EventId
  const { storage } = ctx.deps
  if (relType === 'm.thread') {
    return async () => {
      const parent = await storage.events.getEvent(parentId)
      // A thread starts at an event with no relation of its own (threads do not nest).
      if (
        parent !== undefined &&
        parent.redactedBy === undefined &&
        relationOf(parent.pdu) !== undefined
      ) {
        return err(
          serverError('M_UNKNOWN', 'Cannot start a thread from an event with a relation', {
            status: 400,
          }),
        )
      }
      return ok({ kind: 'send' })
    }
  }
  const key = relatesTo['key']
  if (relType === 'm.annotation' && typeof key === 'string') {
    return async () =>
      (await storage.relations.hasAnnotation(parentId, sender, type, key))
        ? err(
            serverError(
              'M_DUPLICATE_ANNOTATION',
              'You have already sent this annotation to this event',
            ),
          )
        : ok({ kind: 'send' })
  }
  return undefined
}
