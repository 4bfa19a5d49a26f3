/**
 * `GET /_matrix/key/v2/server`: this server's signing keys, self-signed
 * (server-server-api §Publishing Keys).
 */
import { ok } from '@rhizome/core'
import { defineEndpoint, handle } from '../http/endpoint.js'
import type { ServerKeyPublisher } from '../keys/server-keys.js'

export const getServerKeys = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/key/v2/server'],
  auth: 'none',
})

export const serverKeysRoute = handle(
  getServerKeys,
  (_input, { serverKeys }: { readonly serverKeys: ServerKeyPublisher }) =>
    Promise.resolve(ok(serverKeys.current())),
)
