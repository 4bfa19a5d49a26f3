import type { Services } from '../app/services.js'
import type { Route } from '../http/endpoint.js'
import { historyRoutes } from './history/history-routes.js'
import { keyNotaryRoutes } from './keys/key-notary-routes.js'
import { serverKeysRoute } from './key-server.js'
import { joinRoutes } from './membership/join-routes.js'
import { membershipRoutes } from './membership/membership-routes.js'
import { federationQueryRoutes } from './queries/federation-query-routes.js'
import { getMissingEventsRoute } from './receive/missing-events.js'
import { sendTransactionRoute } from './receive/send-transaction-route.js'

/** The routes of the `federation` listener resource (the key server and notary included). */
export const federationRoutes: readonly Route<Services>[] = [
  serverKeysRoute,
  ...keyNotaryRoutes,
  ...federationQueryRoutes,
  sendTransactionRoute,
  getMissingEventsRoute,
  ...historyRoutes,
  ...joinRoutes,
  ...membershipRoutes,
]
