import type { Route } from '../../http/endpoint.js'
import { postReadMarkersRoute } from './read-markers.js'
import { postReceiptRoute, type ReceiptRouteServices } from './receipt.js'

/** Receipts and read markers. */
export const receiptRoutes: readonly Route<ReceiptRouteServices>[] = [
  postReceiptRoute,
  postReadMarkersRoute,
]
