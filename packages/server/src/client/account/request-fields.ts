import { err, ok, utf8ByteLength, type JsonObject, type Result } from '@rhizome/core'
import type { DeviceOptions } from '../../accounts/account-service.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'

/** A string member that may be absent (null counts as absent, as clients send both). */
export function optionalString(
  body: JsonObject,
  key: string,
): Result<string | undefined, ServerError> {
  const value = body[key]
  if (value === undefined || value === null) return ok(undefined)
  return typeof value === 'string' ? ok(value) : err(badJson(`${key} must be a string`))
}

export function requiredString(body: JsonObject, key: string): Result<string, ServerError> {
  const value = optionalString(body, key)
  if (!value.ok) return value
  return value.value === undefined
    ? err(serverError('M_MISSING_PARAM', `${key} is required`))
    : ok(value.value)
}

export function optionalBoolean(
  body: JsonObject,
  key: string,
): Result<boolean | undefined, ServerError> {
  const value = body[key]
  if (value === undefined || value === null) return ok(undefined)
  return typeof value === 'boolean' ? ok(value) : err(badJson(`${key} must be a boolean`))
}

/** Device display names are public; Synapse's limit keeps them to a line. */
export const MAX_DEVICE_DISPLAY_NAME_LENGTH = 100
const MAX_DEVICE_ID_BYTES = 255

/** A device ID that a client chose: not empty, at most 255 bytes, no control characters. */
export function checkDeviceId(deviceId: string): Result<string, ServerError> {
  if (
    deviceId === '' ||
    utf8ByteLength(deviceId) > MAX_DEVICE_ID_BYTES ||
    hasControlCharacter(deviceId)
  ) {
    return err(
      serverError(
        'M_INVALID_PARAM',
        'A device ID must be 1 to 255 bytes long, without control characters',
      ),
    )
  }
  return ok(deviceId)
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

export function checkDeviceDisplayName(name: string): Result<string, ServerError> {
  if (name.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) {
    return err(
      serverError(
        'M_INVALID_PARAM',
        `A device display name is at most ${MAX_DEVICE_DISPLAY_NAME_LENGTH} characters`,
      ),
    )
  }
  return ok(name)
}

/** `device_id` and `initial_device_display_name` of a login or registration. */
export function parseDeviceOptions(body: JsonObject): Result<DeviceOptions, ServerError> {
  const deviceId = optionalString(body, 'device_id')
  if (!deviceId.ok) return deviceId
  if (deviceId.value !== undefined) {
    const checked = checkDeviceId(deviceId.value)
    if (!checked.ok) return checked
  }
  const displayName = optionalString(body, 'initial_device_display_name')
  if (!displayName.ok) return displayName
  if (displayName.value !== undefined) {
    const checked = checkDeviceDisplayName(displayName.value)
    if (!checked.ok) return checked
  }
  return ok({ deviceId: deviceId.value, displayName: displayName.value })
}
