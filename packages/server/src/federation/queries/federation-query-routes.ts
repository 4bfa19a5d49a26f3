import type { Route } from '../../http/endpoint.js'
import { federationMediaRoutes, type FederationMediaServices } from './federation-media-routes.js'
import {
  federationPublicRoomsRoutes,
  type PublicRoomsRouteServices,
} from './public-rooms-routes.js'
import { federationHierarchyRoute, type HierarchyRouteServices } from './hierarchy-route.js'
import { queryRoutes, type QueryRouteServices } from './query-routes.js'
import { userKeyRoutes, type UserKeyRouteServices } from './user-key-routes.js'

export type FederationQueryServices = QueryRouteServices &
  UserKeyRouteServices &
  PublicRoomsRouteServices &
  HierarchyRouteServices &
  FederationMediaServices

/**
 * What other servers may ask of this one outside room events: profiles, aliases, devices and
 * keys, the room directory, space hierarchies and media.
 */
export const federationQueryRoutes: readonly Route<FederationQueryServices>[] = [
  ...queryRoutes,
  ...userKeyRoutes,
  ...federationPublicRoomsRoutes,
  federationHierarchyRoute,
  ...federationMediaRoutes,
]
