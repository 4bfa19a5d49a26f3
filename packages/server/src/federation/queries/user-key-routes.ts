/**
 * Other servers asking for this server's users' devices and keys (server-server-api §End-to-End
 * Encryption):
 *
 * - `GET /_matrix/federation/v1/user/devices/{userId}`
 * - `POST /_matrix/federation/v1/user/keys/query`
 * - `POST /_matrix/federation/v1/user/keys/claim`
 *
 * The bodies are read as the client API's are (e2ee/key-requests.ts); users of other servers in
 * them are left out of the answer.
 */
import { err, ok, userIdServerName, type JsonObject, type ServerName } from '@rhizome/core'
import type { E2eeService } from '../../e2ee/e2ee-service.js'
import { parseKeyClaim, parseKeyQuery } from '../../e2ee/key-requests.js'
import { userIdInvalidParam } from '../../client/id-params.js'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { notFound } from '../../http/errors.js'
import type { Storage } from '../../storage/interface.js'

export interface UserKeyRouteServices {
  readonly config: { readonly serverName: ServerName }
  readonly e2ee: Pick<E2eeService, 'localKeys' | 'claimLocalKeys'>
  readonly storage: {
    readonly accounts: Pick<Storage['accounts'], 'getUser' | 'listDevices'>
    readonly deviceLists: Pick<Storage['deviceLists'], 'outboundStreamId'>
  }
}

export const userDevicesEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/user/devices/:userId'],
  auth: 'federation',
  params: { userId: userIdInvalidParam },
})

export const userKeysQueryEndpoint = defineEndpoint({
  method: 'POST',
  paths: ['/_matrix/federation/v1/user/keys/query'],
  auth: 'federation',
  body: parseKeyQuery,
})

export const userKeysClaimEndpoint = defineEndpoint({
  method: 'POST',
  paths: ['/_matrix/federation/v1/user/keys/claim'],
  auth: 'federation',
  body: parseKeyClaim,
})

export const userKeyRoutes: readonly Route<UserKeyRouteServices>[] = [
  handle(userDevicesEndpoint, async ({ params }, services: UserKeyRouteServices) => {
    const { userId } = params
    const { accounts, deviceLists } = services.storage
    if (
      userIdServerName(userId) !== services.config.serverName ||
      (await accounts.getUser(userId)) === undefined
    ) {
      return err(notFound(`${userId} is not a user of this server`))
    }
    // The ID of the last m.device_list_update sent, which the next one names as its prev_id.
    // Read before the keys: a change landing in between comes again under a later ID.
    const streamId = await deviceLists.outboundStreamId(userId)
    const [devices, keys] = await Promise.all([
      accounts.listDevices(userId),
      services.e2ee.localKeys(undefined, new Map([[userId, []]])),
    ])
    const keysOf = keys.device_keys[userId] ?? {}
    const listed: JsonObject[] = []
    // Devices that never uploaded keys cannot be encrypted for, and the spec's entry needs keys.
    for (const device of devices) {
      const found = keysOf[device.deviceId]
      if (found === undefined) continue
      listed.push({
        device_id: device.deviceId,
        keys: Object.fromEntries(Object.entries(found).filter(([name]) => name !== 'unsigned')),
        ...(device.displayName === undefined ? {} : { device_display_name: device.displayName }),
      })
    }
    const master = keys.master_keys[userId]
    const selfSigning = keys.self_signing_keys[userId]
    return ok({
      user_id: userId,
      stream_id: streamId,
      devices: listed,
      ...(master === undefined ? {} : { master_key: master }),
      ...(selfSigning === undefined ? {} : { self_signing_key: selfSigning }),
    })
  }),
  handle(userKeysQueryEndpoint, async ({ body }, { e2ee }: UserKeyRouteServices) => {
    const answer = await e2ee.localKeys(undefined, body)
    return ok({
      device_keys: answer.device_keys,
      master_keys: answer.master_keys,
      self_signing_keys: answer.self_signing_keys,
    })
  }),
  handle(userKeysClaimEndpoint, async ({ body }, { e2ee }: UserKeyRouteServices) =>
    ok({ one_time_keys: await e2ee.claimLocalKeys(body) }),
  ),
]
