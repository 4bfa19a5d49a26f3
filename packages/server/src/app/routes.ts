import { adminRoutes } from '../admin/admin-routes.js'
import { accountRoutes } from '../client/account-routes.js'
import { clientRoutes } from '../client/client-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { syncRoutes } from '../client/sync/sync-routes.js'
import type { ListenerResource } from '../config/config.js'
import type { HttpMethod, Route } from '../http/endpoint.js'
import { federationRoutes } from '../federation/federation-routes.js'
import { mediaRoutes } from '../media/media-routes.js'
import type { Services } from './services.js'

/**
 * The routes each listener resource serves. `media` holds the content repository: the
 * /_matrix/media paths and the authenticated /_matrix/client/v1/media ones (as Synapse's media
 * resource does), so a listener without it serves no media at all.
 */
export const ROUTES_BY_RESOURCE: Readonly<Record<ListenerResource, readonly Route<Services>[]>> = {
  client: [...clientRoutes, ...accountRoutes, ...roomRoutes, ...syncRoutes, ...adminRoutes],
  federation: federationRoutes,
  media: mediaRoutes,
}

export function routesFor(resources: readonly ListenerResource[]): readonly Route<Services>[] {
  return resources.flatMap((resource) => ROUTES_BY_RESOURCE[resource])
}

/** Whether some route serves `method path`, so messages can tell what this build can do. */
export function serves(method: HttpMethod, path: string): boolean {
  return Object.values(ROUTES_BY_RESOURCE).some((routes) =>
    routes.some((route) => route.method === method && route.paths.includes(path)),
  )
}
