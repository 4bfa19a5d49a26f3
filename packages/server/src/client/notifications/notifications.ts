/**
 * `GET /_matrix/client/v3/notifications` (and r0): the events the user has been notified about
 * (client-server-api §Listing Notifications), paged with `from`/`next_token`, `limit`, and
 * `only=highlight`.
 */
import { err, ok, type Result } from '@rhizome/core'
import type { ClientEventSerializer } from '../../events/client-event-serializer.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { listNotifications, type NotificationListQuery } from '../../push/notification-list.js'
import type { Storage } from '../../storage/interface.js'

export const DEFAULT_NOTIFICATIONS_LIMIT = 20
export const MAX_NOTIFICATIONS_LIMIT = 100

/** What the endpoint uses of the services. */
export interface NotificationRouteServices {
  readonly storage: Storage
  readonly rooms: { readonly serializer: ClientEventSerializer }
}

function notificationsQuery(query: URLSearchParams): Result<NotificationListQuery, ServerError> {
  const rawFrom = query.get('from')
  let from: number | undefined
  if (rawFrom !== null) {
    if (!/^[0-9]{1,15}$/.test(rawFrom)) {
      return err(serverError('M_INVALID_PARAM', 'from is not a token from this server'))
    }
    from = Number(rawFrom)
  }
  const rawLimit = query.get('limit')
  let limit = DEFAULT_NOTIFICATIONS_LIMIT
  if (rawLimit !== null) {
    if (!/^[0-9]{1,9}$/.test(rawLimit)) {
      return err(serverError('M_INVALID_PARAM', 'limit must be a non-negative integer'))
    }
    limit = Math.min(Number(rawLimit), MAX_NOTIFICATIONS_LIMIT)
  }
  return ok({ from, limit, onlyHighlight: query.get('only') === 'highlight' })
}

export const getNotifications = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/notifications'),
  auth: 'required',
  query: notificationsQuery,
})

export const getNotificationsRoute = handle(
  getNotifications,
  async ({ query, requester }, services: NotificationRouteServices) =>
    ok(
      await listNotifications(
        { storage: services.storage, serializer: services.rooms.serializer },
        requester.userId,
        query,
      ),
    ),
)
