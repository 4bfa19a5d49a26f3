import type { Services } from '../app/services.js'
import type { Route } from '../http/endpoint.js'
import { pushRulesRoutes } from './push-rules/push-rules.js'
import { versionsRoute } from './versions.js'
import { wellKnownClientRoute } from './well-known-client.js'

/** The routes of the `client` listener resource. */
export const clientRoutes: readonly Route<Services>[] = [
  versionsRoute,
  wellKnownClientRoute,
  ...pushRulesRoutes,
]
