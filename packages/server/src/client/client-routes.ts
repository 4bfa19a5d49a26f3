import type { Services } from '../app/services.js'
import type { Route } from '../http/endpoint.js'
import { profileDirectoryRoutes } from './directory/directory-routes.js'
import { keyRoutes } from './keys/keys-routes.js'
import { getNotificationsRoute } from './notifications/notifications.js'
import { pushRulesRoutes } from './push-rules/push-rules.js'
import { pusherRoutes } from './pushers/pushers.js'
import { receiptRoutes } from './receipts/receipt-routes.js'
import { reportRoutes } from './reports/report-content.js'
import { roomKeysRoutes } from './room-keys/room-keys-routes.js'
import { versionsRoute } from './versions.js'
import { wellKnownClientRoute } from './well-known-client.js'

/** The routes of the `client` listener resource. */
export const clientRoutes: readonly Route<Services>[] = [
  versionsRoute,
  wellKnownClientRoute,
  ...pushRulesRoutes,
  ...pusherRoutes,
  ...reportRoutes,
  ...roomKeysRoutes,
  ...receiptRoutes,
  getNotificationsRoute,
  ...profileDirectoryRoutes,
  ...keyRoutes,
]
