import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../../http/errors.js'

/** The path the spec requires of an HTTP pusher's gateway URL. */
export const NOTIFY_PATH = '/_matrix/push/v1/notify'
const MAX_APP_ID_LENGTH = 64
const MAX_PUSHKEY_BYTES = 512

/** What `POST /pushers/set` asks for, checked. */
export type PusherRequest =
  | { readonly kind: null; readonly appId: string; readonly pushkey: string }
  | {
      readonly kind: 'http'
      readonly appId: string
      readonly pushkey: string
      readonly appDisplayName: string
      readonly deviceDisplayName: string
      readonly profileTag: string | undefined
      readonly lang: string
      readonly data: JsonObject
      readonly append: boolean
    }

export interface PusherBodyOptions {
  /** Accept `http:` gateway URLs as well as `https:` (config `push.allow_http_gateways`). */
  readonly allowHttpGateways: boolean
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks a `POST /pushers/set` body: missing required fields are M_MISSING_PARAM (all of them
 * named at once, as the spec's example does), values of the wrong JSON type M_BAD_JSON, and
 * values the spec rules out M_INVALID_PARAM.
 */
export function parsePusherBody(
  json: JsonObject,
  options: PusherBodyOptions,
): Result<PusherRequest, ServerError> {
  const missing = ['kind', 'app_id', 'pushkey'].filter((key) => !(key in json))
  const kind = json['kind']
  if (kind !== null && kind !== undefined) {
    for (const key of ['app_display_name', 'device_display_name', 'lang', 'data']) {
      if (json[key] === undefined) missing.push(key)
    }
  }
  if (missing.length > 0) {
    return err(serverError('M_MISSING_PARAM', `Missing parameters: ${missing.join(', ')}`))
  }
  if (kind !== null && typeof kind !== 'string')
    return err(badJson('kind must be a string or null'))
  const strings = [
    'app_id',
    'pushkey',
    'app_display_name',
    'device_display_name',
    'lang',
    'profile_tag',
  ]
  for (const key of strings) {
    const value = json[key]
    if (value !== undefined && typeof value !== 'string') {
      return err(badJson(`${key} must be a string`))
    }
  }
  const appId = json['app_id'] as string
  const pushkey = json['pushkey'] as string
  if (appId === '' || appId.length > MAX_APP_ID_LENGTH) {
    return err(
      serverError('M_INVALID_PARAM', `app_id must be 1 to ${MAX_APP_ID_LENGTH} characters`),
    )
  }
  if (pushkey === '' || Buffer.byteLength(pushkey) > MAX_PUSHKEY_BYTES) {
    return err(serverError('M_INVALID_PARAM', `pushkey must be 1 to ${MAX_PUSHKEY_BYTES} bytes`))
  }
  if (kind === null) return ok({ kind: null, appId, pushkey })
  if (kind === 'email') {
    // A valid kind, but this server sends no email: refusing is honest, storing it is not.
    return err(serverError('M_INVALID_PARAM', 'email pushers are not supported by this server'))
  }
  if (kind !== 'http') return err(serverError('M_INVALID_PARAM', `unknown pusher kind: ${kind}`))
  const append = json['append'] ?? false
  if (typeof append !== 'boolean') return err(badJson('append must be a boolean'))
  const data = json['data']
  if (!isObject(data)) return err(badJson('data must be an object'))
  const url = checkGatewayUrl(data['url'], options)
  if (!url.ok) return url
  const format = data['format']
  if (format !== undefined && format !== 'event_id_only') {
    return err(serverError('M_INVALID_PARAM', 'data.format must be "event_id_only" or absent'))
  }
  return ok({
    kind,
    appId,
    pushkey,
    appDisplayName: json['app_display_name'] as string,
    deviceDisplayName: json['device_display_name'] as string,
    profileTag: json['profile_tag'] as string | undefined,
    lang: json['lang'] as string,
    data,
    append,
  })
}

function checkGatewayUrl(raw: unknown, options: PusherBodyOptions): Result<URL, ServerError> {
  if (raw === undefined) {
    return err(serverError('M_MISSING_PARAM', 'data.url is required for http pushers'))
  }
  if (typeof raw !== 'string') return err(badJson('data.url must be a string'))
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return err(serverError('M_INVALID_PARAM', 'data.url is not a URL'))
  }
  const schemes = options.allowHttpGateways ? ['https:', 'http:'] : ['https:']
  if (!schemes.includes(url.protocol)) {
    return err(serverError('M_INVALID_PARAM', 'data.url must be an https URL'))
  }
  if (url.pathname !== NOTIFY_PATH) {
    return err(serverError('M_INVALID_PARAM', `data.url must have the path ${NOTIFY_PATH}`))
  }
  return ok(url)
}
