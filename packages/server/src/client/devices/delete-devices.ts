/**
 * `POST /_matrix/client/v3/delete_devices`: deletes several devices and their tokens, after
 * m.login.password (client-server-api §Device Management).
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService } from '../../accounts/account-service.js'
import { parseAuthDict, type AuthDict } from '../../accounts/uia/auth-dict.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import { checkDeviceId } from '../account/request-fields.js'

/** More would make one request a very long transaction; clients delete a handful at a time. */
export const MAX_DEVICES_PER_REQUEST = 1000

export interface DeleteDevicesBody {
  readonly devices: readonly string[]
  readonly auth: AuthDict | undefined
}

export const postDeleteDevices = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/delete_devices'),
  auth: 'required',
  body: parseDeleteDevicesBody,
})

export const postDeleteDevicesRoute = handle(
  postDeleteDevices,
  async ({ requester, body }, { accounts }: { readonly accounts: AccountService }) => {
    const deleted = await accounts.deleteDevices(requester, body.devices, body.auth)
    return deleted.ok ? ok({}) : deleted
  },
)

export function parseDeleteDevicesBody(body: JsonObject): Result<DeleteDevicesBody, ServerError> {
  const devices = body['devices']
  if (devices === undefined) return err(serverError('M_MISSING_PARAM', 'devices is required'))
  if (!Array.isArray(devices)) return err(badJson('devices must be an array of device IDs'))
  if (devices.length > MAX_DEVICES_PER_REQUEST) {
    return err(
      serverError('M_INVALID_PARAM', `At most ${MAX_DEVICES_PER_REQUEST} devices per request`),
    )
  }
  const ids: string[] = []
  for (const device of devices) {
    if (typeof device !== 'string') return err(badJson('devices must be an array of device IDs'))
    const checked = checkDeviceId(device)
    if (!checked.ok) return checked
    ids.push(checked.value)
  }
  const auth = parseAuthDict(body)
  if (!auth.ok) return auth
  return ok({ devices: ids, auth: auth.value })
}
