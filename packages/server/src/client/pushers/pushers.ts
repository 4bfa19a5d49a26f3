/**
 * `GET /_matrix/client/v3/pushers` and `POST /_matrix/client/v3/pushers/set` (and r0): the
 * user's pushers (client-server-api §Push Notifications, Pushers). Only `http` pushers are
 * offered; a pusher belongs to the device of the access token that set it.
 */
import { err, ok, type JsonObject, type UserId } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { forbidden } from '../../http/errors.js'
import type { PushConfig } from '../../config/config.js'
import type { PusherRecord, PusherStore } from '../../storage/pusher-store.js'
import { parsePusherBody } from './pusher-body.js'

/** What the pusher endpoints use of the services. */
export interface PusherRouteServices {
  readonly storage: { readonly pushers: PusherStore }
  readonly config: { readonly push: PushConfig }
  readonly now: () => number
  /** Told of each pusher set, so it is used at once (other processes see it within seconds). */
  readonly httpPusher?: { pusherSet(userId: UserId): void }
}

function pusherJson(pusher: PusherRecord): JsonObject {
  return {
    pushkey: pusher.pushkey,
    kind: pusher.kind,
    app_id: pusher.appId,
    app_display_name: pusher.appDisplayName,
    device_display_name: pusher.deviceDisplayName,
    ...(pusher.profileTag === undefined ? {} : { profile_tag: pusher.profileTag }),
    lang: pusher.lang,
    data: pusher.data as JsonObject,
  }
}

export const getPushers = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushers'),
  auth: 'required',
})

export const getPushersRoute = handle(
  getPushers,
  async ({ requester }, services: PusherRouteServices) => {
    const pushers = await services.storage.pushers.list(requester.userId)
    return ok({ pushers: pushers.map(pusherJson) })
  },
)

export const setPusher = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/pushers/set'),
  auth: 'required',
  rateLimit: 'push_settings',
  // The gateway URL rule depends on the configuration, so the body is checked in the handler.
  body: (json: JsonObject) => ok(json),
})

export const setPusherRoute = handle(
  setPusher,
  async ({ body, requester }, services: PusherRouteServices) => {
    const parsed = parsePusherBody(body, services.config.push)
    if (!parsed.ok) return parsed
    const request = parsed.value
    const store = services.storage.pushers
    if (request.kind === null) {
      await store.delete(requester.userId, request.appId, request.pushkey)
      return ok({})
    }
    if (requester.deviceId === undefined) {
      return err(forbidden('pushers belong to a device, and this access token has none'))
    }
    await store.set(
      {
        userId: requester.userId,
        deviceId: requester.deviceId,
        kind: request.kind,
        appId: request.appId,
        pushkey: request.pushkey,
        appDisplayName: request.appDisplayName,
        deviceDisplayName: request.deviceDisplayName,
        profileTag: request.profileTag,
        lang: request.lang,
        data: request.data,
        pushkeyTs: services.now(),
      },
      request.append,
    )
    services.httpPusher?.pusherSet(requester.userId)
    return ok({})
  },
)

export const pusherRoutes = [getPushersRoute, setPusherRoute] as const
