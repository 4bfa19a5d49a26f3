import { isJsonObject, loadTrustedPdu, roomVersionRules, type EventId } from '@rhizome/core'
import type { StoredEvent } from '../interface.js'

/** An events row joined with its room's version, as both dialects select it. */
export interface EventRow {
  readonly event_id: string
  readonly json: string
  readonly room_version: string
  readonly stream_position: number | null
  readonly rejection_reason: string | null
  readonly redacted_by: string | null
  readonly state_group_before: number | null
  readonly state_group_after: number | null
}

/**
 * The event as stored. The JSON was checked when it was first accepted, so it is read back with
 * loadTrustedPdu; a row that does not parse means the database was damaged, which is a bug to
 * report loudly rather than an input error.
 */
export function storedEventFromRow(row: EventRow): StoredEvent {
  const rules = roomVersionRules(row.room_version)
  if (rules === undefined) {
    throw new Error(`event ${row.event_id} is in a room of unknown version ${row.room_version}`)
  }
  const json: unknown = JSON.parse(row.json)
  if (!isJsonObject(json)) throw new Error(`stored event ${row.event_id} is not a JSON object`)
  const eventId = row.event_id as EventId
  return {
    pdu: loadTrustedPdu(json, eventId, rules),
    json: row.json,
    roomVersion: row.room_version,
    streamPosition: row.stream_position ?? undefined,
    rejectionReason: row.rejection_reason ?? undefined,
    redactedBy: (row.redacted_by ?? undefined) as EventId | undefined,
    stateGroupBefore: row.state_group_before ?? undefined,
    stateGroupAfter: row.state_group_after ?? undefined,
  }
}
