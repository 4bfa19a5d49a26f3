/**
 * The device management module (client-server-api §Device Management):
 * `GET /_matrix/client/v3/devices`, `GET /_matrix/client/v3/devices/{deviceId}`,
 * `PUT /_matrix/client/v3/devices/{deviceId}` (display name only: creating devices is for
 * application services) and `DELETE /_matrix/client/v3/devices/{deviceId}` (after m.login.password).
 */
import { ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService } from '../../accounts/account-service.js'
import { parseAuthDict } from '../../accounts/uia/auth-dict.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import type { DeviceRecord } from '../../storage/interface.js'
import { checkDeviceDisplayName, checkDeviceId, optionalString } from '../account/request-fields.js'

interface Needs {
  readonly accounts: AccountService
}

const deviceParams = { deviceId: checkDeviceId }

/** A device as the API shows it: absent fields are left out, not null. */
export function deviceJson(device: DeviceRecord): JsonObject {
  return {
    device_id: device.deviceId,
    ...(device.displayName === undefined ? {} : { display_name: device.displayName }),
    ...(device.lastSeenIp === undefined ? {} : { last_seen_ip: device.lastSeenIp }),
    ...(device.lastSeenTs === undefined ? {} : { last_seen_ts: device.lastSeenTs }),
  }
}

export const getDevices = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/devices'),
  auth: 'required',
})

export const getDevicesRoute = handle(getDevices, async ({ requester }, { accounts }: Needs) => {
  const devices = await accounts.listDevices(requester)
  return ok({ devices: devices.map(deviceJson) })
})

export const getDevice = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/devices/:deviceId'),
  auth: 'required',
  params: deviceParams,
})

export const getDeviceRoute = handle(
  getDevice,
  async ({ requester, params }, { accounts }: Needs) => {
    const device = await accounts.getDevice(requester, params.deviceId)
    return device.ok ? ok(deviceJson(device.value)) : device
  },
)

export const putDevice = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/devices/:deviceId'),
  auth: 'required',
  params: deviceParams,
  body: parseDeviceUpdate,
  emptyBody: 'empty-object',
})

export const putDeviceRoute = handle(
  putDevice,
  async ({ requester, params, body }, { accounts }: Needs) => {
    const updated = await accounts.updateDevice(requester, params.deviceId, body)
    return updated.ok ? ok({}) : updated
  },
)

/** The new display name, or undefined to leave it as it is. */
export function parseDeviceUpdate(body: JsonObject): Result<string | undefined, ServerError> {
  const name = optionalString(body, 'display_name')
  if (!name.ok || name.value === undefined) return name
  return checkDeviceDisplayName(name.value)
}

export const deleteDevice = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths('/devices/:deviceId'),
  auth: 'required',
  params: deviceParams,
  body: parseAuthDict,
  emptyBody: 'empty-object',
})

export const deleteDeviceRoute = handle(
  deleteDevice,
  async ({ requester, params, body }, { accounts }: Needs) => {
    const deleted = await accounts.deleteDevices(requester, [params.deviceId], body)
    return deleted.ok ? ok({}) : deleted
  },
)
