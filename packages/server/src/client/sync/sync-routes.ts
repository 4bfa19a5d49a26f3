import type { Route } from '../../http/endpoint.js'
import { accountDataRoutes, type AccountDataRouteServices } from '../account-data/account-data.js'
import { capabilitiesRoute } from '../capabilities.js'
import { getFilterRoute, postFilterRoute, type FilterRouteServices } from '../filters/filters.js'
import { syncRoute, type SyncRouteServices } from './sync.js'

/** What the sync-side endpoints use of the services. */
export type SyncSideServices = SyncRouteServices & FilterRouteServices & AccountDataRouteServices

/** `/sync`, filters, account data and capabilities. */
export const syncRoutes: readonly Route<SyncSideServices>[] = [
  syncRoute,
  postFilterRoute,
  getFilterRoute,
  ...accountDataRoutes,
  capabilitiesRoute,
]
