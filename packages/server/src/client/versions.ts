/**
 * `GET /_matrix/client/versions`: the spec versions this server speaks
 * (client-server-api §Server Discovery, GET /_matrix/client/versions).
 */
import { ok } from '@rhizome/core'
import { defineEndpoint, handle } from '../http/endpoint.js'

/** Every release up to the spec this server implements (v1.19). */
export const SUPPORTED_VERSIONS: readonly string[] = [
  'r0.0.1',
  'r0.1.0',
  'r0.2.0',
  'r0.3.0',
  'r0.4.0',
  'r0.5.0',
  'r0.6.0',
  'r0.6.1',
  ...Array.from({ length: 19 }, (_, i) => `v1.${i + 1}`),
]

export const getVersions = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/client/versions'],
  // Authentication may only widen unstable_features, and this server has none yet.
  auth: 'none',
})

export const versionsRoute = handle(getVersions, () =>
  Promise.resolve(ok({ versions: SUPPORTED_VERSIONS, unstable_features: {} })),
)
