/**
 * `GET /_matrix/client/v3/account/whoami`: who the access token belongs to
 * (client-server-api §Current account information).
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'

export const getWhoami = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/account/whoami'),
  auth: 'required',
})

export const getWhoamiRoute = handle(getWhoami, ({ requester }) =>
  Promise.resolve(
    ok({
      user_id: requester.userId,
      ...(requester.deviceId === undefined ? {} : { device_id: requester.deviceId }),
      is_guest: requester.isGuest,
    }),
  ),
)
