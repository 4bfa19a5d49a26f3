import type { Route } from '../../http/endpoint.js'
import { accountDataRoutes, type AccountDataRouteServices } from '../account-data/account-data.js'
import { tagRoutes, type TagRouteServices } from '../account-data/tags.js'
import { capabilitiesRoute } from '../capabilities.js'
import { getFilterRoute, postFilterRoute, type FilterRouteServices } from '../filters/filters.js'
import { presenceRoutes, type PresenceRouteServices } from '../presence/presence.js'
import { typingRoute, type TypingRouteServices } from '../typing/typing.js'
import { syncRoute, type SyncRouteServices } from './sync.js'

/** What the sync-side endpoints use of the services. */
export type SyncSideServices = SyncRouteServices &
  FilterRouteServices &
  AccountDataRouteServices &
  TagRouteServices &
  TypingRouteServices &
  PresenceRouteServices

/** `/sync`, filters, account data and tags, typing, presence and capabilities. */
export const syncRoutes: readonly Route<SyncSideServices>[] = [
  syncRoute,
  postFilterRoute,
  getFilterRoute,
  ...accountDataRoutes,
  ...tagRoutes,
  typingRoute,
  ...presenceRoutes,
  capabilitiesRoute,
]
