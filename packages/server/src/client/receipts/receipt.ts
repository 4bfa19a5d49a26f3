/**
 * `POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}` (and r0): a read
 * receipt, public or private, optionally for a thread; or, for `m.fully_read`, the read marker
 * (client-server-api §Receipts).
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import {
  RECEIPT_TYPES,
  type ReceiptOrMarker,
  type ReceiptService,
} from '../../receipts/receipt-service.js'
import {
  roomIdInvalidParam as roomIdParam,
  eventIdInvalidParam as eventIdParam,
} from '../id-params.js'

/** What the receipt endpoints use of the services. */
export interface ReceiptRouteServices {
  readonly receipts: ReceiptService
}

function receiptTypeParam(raw: string): Result<ReceiptOrMarker, ServerError> {
  const type = RECEIPT_TYPES.find((t) => t === raw)
  return type === undefined
    ? err(
        serverError(
          'M_INVALID_PARAM',
          `Unknown receipt type ${JSON.stringify(raw)}: expected one of ${RECEIPT_TYPES.join(', ')}`,
        ),
      )
    : ok(type)
}

/** The body: `thread_id`, a non-empty string when present; other keys are ignored. */
function receiptBody(json: JsonObject): Result<{ threadId: string | undefined }, ServerError> {
  const threadId = json['thread_id']
  if (threadId === undefined) return ok({ threadId: undefined })
  if (typeof threadId !== 'string') {
    return err(serverError('M_INVALID_PARAM', 'thread_id must be a string'))
  }
  if (threadId === '') return err(serverError('M_INVALID_PARAM', 'thread_id must not be empty'))
  return ok({ threadId })
}

export const postReceipt = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/receipt/:receiptType/:eventId'),
  auth: 'required',
  rateLimit: 'receipt',
  params: { roomId: roomIdParam, receiptType: receiptTypeParam, eventId: eventIdParam },
  body: receiptBody,
  // Older clients post no body at all.
  emptyBody: 'empty-object',
})

export const postReceiptRoute = handle(
  postReceipt,
  async ({ params, body, requester }, { receipts }: ReceiptRouteServices) => {
    const sent = await receipts.send(
      requester.userId,
      params.roomId,
      params.receiptType,
      params.eventId,
      body.threadId,
    )
    return sent.ok ? ok({}) : sent
  },
)
