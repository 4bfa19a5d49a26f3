/**
 * `POST` and `GET /_matrix/client/v3/room_keys/version`, and `GET`, `PUT` and `DELETE
 * /_matrix/client/v3/room_keys/version/{version}` (and r0): the user's key backup versions
 * (client-server-api §Server-side key backups).
 */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import {
  parseBackupVersionBody,
  parseBackupVersionUpdateBody,
} from '../../key-backup/backup-requests.js'
import {
  createBackupVersion,
  deleteBackupVersion,
  getBackupVersion,
  updateBackupVersion,
  type KeyBackupDeps,
} from '../../key-backup/key-backup.js'

/** What the key backup endpoints use of the services. */
export type KeyBackupRouteServices = KeyBackupDeps

/** Versions are opaque to clients: every string is looked up, and an unknown one is a 404. */
export function backupVersionParam(raw: string): Result<string, ServerError> {
  return ok(raw)
}

export const createBackupVersionEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/room_keys/version'),
  auth: 'required',
  rateLimit: 'key_backup',
  body: parseBackupVersionBody,
})

export const createBackupVersionRoute = handle(
  createBackupVersionEndpoint,
  ({ body, requester }, services: KeyBackupRouteServices) =>
    createBackupVersion(services, requester, body),
)

export const getCurrentBackupVersionEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/room_keys/version'),
  auth: 'required',
  rateLimit: 'key_backup',
})

export const getCurrentBackupVersionRoute = handle(
  getCurrentBackupVersionEndpoint,
  ({ requester }, services: KeyBackupRouteServices) =>
    getBackupVersion(services, requester, undefined),
)

export const getBackupVersionEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/room_keys/version/:version'),
  auth: 'required',
  rateLimit: 'key_backup',
  params: { version: backupVersionParam },
})

export const getBackupVersionRoute = handle(
  getBackupVersionEndpoint,
  ({ params, requester }, services: KeyBackupRouteServices) =>
    getBackupVersion(services, requester, params.version),
)

export const updateBackupVersionEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/room_keys/version/:version'),
  auth: 'required',
  rateLimit: 'key_backup',
  params: { version: backupVersionParam },
  body: parseBackupVersionUpdateBody,
})

export const updateBackupVersionRoute = handle(
  updateBackupVersionEndpoint,
  ({ params, body, requester }, services: KeyBackupRouteServices) =>
    updateBackupVersion(services, requester, params.version, body),
)

export const deleteBackupVersionEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths('/room_keys/version/:version'),
  auth: 'required',
  rateLimit: 'key_backup',
  params: { version: backupVersionParam },
})

export const deleteBackupVersionRoute = handle(
  deleteBackupVersionEndpoint,
  ({ params, requester }, services: KeyBackupRouteServices) =>
    deleteBackupVersion(services, requester, params.version),
)

export const backupVersionRoutes = [
  createBackupVersionRoute,
  getCurrentBackupVersionRoute,
  getBackupVersionRoute,
  updateBackupVersionRoute,
  deleteBackupVersionRoute,
] as const
