/**
 * `POST /_matrix/client/v3/rooms/{roomId}/read_markers` (and r0): the fully read marker and,
 * in the same call, the public and private read receipts (client-server-api §Fully read markers).
 */
import { err, ok, parseEventId, type JsonObject, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { ReadMarkers } from '../../receipts/receipt-service.js'
import { roomIdInvalidParam as roomIdParam } from '../id-params.js'
import type { ReceiptRouteServices } from './receipt.js'

const FIELDS = [
  ['m.fully_read', 'fullyRead'],
  ['m.read', 'read'],
  ['m.read.private', 'readPrivate'],
] as const

function markersBody(json: JsonObject): Result<ReadMarkers, ServerError> {
  const markers: { -readonly [K in keyof ReadMarkers]: ReadMarkers[K] } = {}
  for (const [key, field] of FIELDS) {
    const value = json[key]
    if (value === undefined) continue
    if (typeof value !== 'string') return err(badJson(`${key} must be an event ID`))
    const eventId = parseEventId(value)
    if (!eventId.ok) return err(serverError('M_INVALID_PARAM', `${key}: ${eventId.error.error}`))
    markers[field] = eventId.value
  }
  return ok(markers)
}

export const postReadMarkers = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/read_markers'),
  auth: 'required',
  rateLimit: 'receipt',
  params: { roomId: roomIdParam },
  body: markersBody,
})

export const postReadMarkersRoute = handle(
  postReadMarkers,
  async ({ params, body, requester }, { receipts }: ReceiptRouteServices) => {
    const set = await receipts.setMarkers(requester.userId, params.roomId, body)
    return set.ok ? ok({}) : set
  },
)
