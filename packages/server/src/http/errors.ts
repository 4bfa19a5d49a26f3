import type { ErrCode, JsonValue, MatrixError } from '@rhizome/core'

/**
 * Every error code the server can answer with: the core's codes plus those that only arise at the
 * HTTP edge or in services (client-server-api §Standard error response, §Other error codes).
 */
export type ServerErrCode =
  | ErrCode
  | 'M_BAD_ALIAS'
  | 'M_BAD_STATE'
  | 'M_CANNOT_OVERWRITE_MEDIA'
  | 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM'
  | 'M_CAPTCHA_INVALID'
  | 'M_CAPTCHA_NEEDED'
  | 'M_DUPLICATE_ANNOTATION'
  | 'M_EXCLUSIVE'
  | 'M_GUEST_ACCESS_FORBIDDEN'
  | 'M_INCOMPATIBLE_ROOM_VERSION'
  | 'M_INVALID_ROOM_STATE'
  | 'M_INVALID_USERNAME'
  | 'M_LIMIT_EXCEEDED'
  | 'M_MISSING_TOKEN'
  | 'M_NOT_YET_UPLOADED'
  | 'M_RESOURCE_LIMIT_EXCEEDED'
  | 'M_ROOM_IN_USE'
  | 'M_SERVER_NOT_TRUSTED'
  | 'M_THREEPID_AUTH_FAILED'
  | 'M_THREEPID_DENIED'
  | 'M_THREEPID_IN_USE'
  | 'M_THREEPID_MEDIUM_NOT_SUPPORTED'
  | 'M_THREEPID_NOT_FOUND'
  | 'M_UNABLE_TO_AUTHORISE_JOIN'
  | 'M_UNABLE_TO_GRANT_JOIN'
  | 'M_UNAUTHORIZED'
  | 'M_UNKNOWN_TOKEN'
  | 'M_UNRECOGNIZED'
  | 'M_USER_DEACTIVATED'
  | 'M_USER_IN_USE'
  | 'M_USER_LOCKED'
  | 'M_USER_SUSPENDED'
  | 'M_WEAK_PASSWORD'
  | 'M_WRONG_ROOM_KEYS_VERSION'

/**
 * The usual HTTP status of each code. Adding a code to ServerErrCode (or to the core's ErrCode)
 * without a status here fails the build. Where the spec gives a code different statuses by
 * endpoint (M_UNRECOGNIZED 404 or 405, M_UNKNOWN 400 or 500, M_FORBIDDEN 401 on some auth
 * paths), the error carries an explicit `status`.
 */
export const ERRCODE_STATUS = {
  M_BAD_JSON: 400,
  M_NOT_JSON: 400,
  M_INVALID_PARAM: 400,
  M_MISSING_PARAM: 400,
  M_TOO_LARGE: 413,
  M_FORBIDDEN: 403,
  M_NOT_FOUND: 404,
  M_UNSUPPORTED_ROOM_VERSION: 400,
  M_INVALID_SIGNATURE: 400,
  M_UNKNOWN: 500,
  M_BAD_ALIAS: 400,
  M_BAD_STATE: 400,
  M_CANNOT_OVERWRITE_MEDIA: 409,
  M_CANNOT_LEAVE_SERVER_NOTICE_ROOM: 403,
  M_CAPTCHA_INVALID: 400,
  M_CAPTCHA_NEEDED: 401,
  M_DUPLICATE_ANNOTATION: 400,
  M_EXCLUSIVE: 400,
  M_GUEST_ACCESS_FORBIDDEN: 403,
  M_INCOMPATIBLE_ROOM_VERSION: 400,
  M_INVALID_ROOM_STATE: 400,
  M_INVALID_USERNAME: 400,
  M_LIMIT_EXCEEDED: 429,
  M_MISSING_TOKEN: 401,
  M_NOT_YET_UPLOADED: 504,
  M_RESOURCE_LIMIT_EXCEEDED: 403,
  M_ROOM_IN_USE: 400,
  M_SERVER_NOT_TRUSTED: 403,
  M_THREEPID_AUTH_FAILED: 401,
  M_THREEPID_DENIED: 403,
  M_THREEPID_IN_USE: 400,
  M_THREEPID_MEDIUM_NOT_SUPPORTED: 400,
  M_THREEPID_NOT_FOUND: 400,
  M_UNABLE_TO_AUTHORISE_JOIN: 400,
  M_UNABLE_TO_GRANT_JOIN: 400,
  M_UNAUTHORIZED: 401,
  M_UNKNOWN_TOKEN: 401,
  M_UNRECOGNIZED: 404,
  M_USER_DEACTIVATED: 403,
  M_USER_IN_USE: 400,
  M_USER_LOCKED: 401,
  M_USER_SUSPENDED: 403,
  M_WEAK_PASSWORD: 400,
  M_WRONG_ROOM_KEYS_VERSION: 403,
} as const satisfies Record<ServerErrCode, number>

/**
 * An error on its way to a client or a remote server. A core MatrixError is one as it is. Extra
 * response members (the room_version of M_INCOMPATIBLE_ROOM_VERSION, the flows of an
 * interactive-auth 401, ...) go in `extra`; the two that the HTTP layer itself must understand
 * have their own fields.
 */
export interface ServerError {
  readonly errcode: ServerErrCode
  readonly error: string
  /** Overrides ERRCODE_STATUS for this response. */
  readonly status?: number
  /** M_LIMIT_EXCEEDED: becomes `retry_after_ms` and the Retry-After header (whole seconds). */
  readonly retryAfterMs?: number
  /**
   * The `soft_logout` flag (client-server-api §Soft logout) of M_UNKNOWN_TOKEN, where it defaults to
   * false, and of M_USER_LOCKED.
   */
  readonly softLogout?: boolean
  readonly extra?: Readonly<Record<string, JsonValue>>
  /**
   * Send only `extra`, without `errcode` and `error`: the 401 of user-interactive auth that asks
   * for (more) stages carries none, and clients show an error when one is present
   * (client-server-api §User-interactive API in the REST API).
   */
  readonly omitErrcode?: boolean
}

export interface HttpErrorResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Readonly<Record<string, JsonValue>>
}

export function toHttpError(e: ServerError | MatrixError): HttpErrorResponse {
  const se: ServerError = e
  const body: Record<string, JsonValue> =
    se.omitErrcode === true
      ? { ...se.extra }
      : { ...se.extra, errcode: se.errcode, error: se.error }
  const headers: Record<string, string> = {}
  if (se.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(se.retryAfterMs))
    body['retry_after_ms'] = ms
    headers['retry-after'] = String(Math.ceil(ms / 1000))
  }
  if (se.softLogout !== undefined) body['soft_logout'] = se.softLogout
  else if (se.errcode === 'M_UNKNOWN_TOKEN') body['soft_logout'] = false
  return { status: se.status ?? ERRCODE_STATUS[se.errcode], headers, body }
}

export function serverError(
  errcode: ServerErrCode,
  error: string,
  options?: Omit<ServerError, 'errcode' | 'error'>,
): ServerError {
  return { ...options, errcode, error }
}

/** 404 for a path nobody serves; 405 for a served path asked with another method. */
export function unrecognized(status: 404 | 405 = 404): ServerError {
  return serverError(
    'M_UNRECOGNIZED',
    status === 404 ? 'Unrecognized request' : 'Method not allowed for this endpoint',
    { status },
  )
}

export function missingToken(error = 'Missing access token'): ServerError {
  return serverError('M_MISSING_TOKEN', error)
}

export function unknownToken(error = 'Unknown access token', softLogout = false): ServerError {
  return serverError('M_UNKNOWN_TOKEN', error, { softLogout })
}

export function limitExceeded(retryAfterMs: number): ServerError {
  return serverError('M_LIMIT_EXCEEDED', 'Too many requests', { retryAfterMs })
}

export function notJson(error = 'Content not JSON'): ServerError {
  return serverError('M_NOT_JSON', error)
}

export function badJson(error: string): ServerError {
  return serverError('M_BAD_JSON', error)
}

export function tooLarge(error = 'Request body too large'): ServerError {
  return serverError('M_TOO_LARGE', error)
}

export function notFound(error: string): ServerError {
  return serverError('M_NOT_FOUND', error)
}

export function forbidden(error: string): ServerError {
  return serverError('M_FORBIDDEN', error)
}

/** 500: the details go to the log under `requestId`, never to the client. */
export function internalError(requestId: string): ServerError {
  return serverError('M_UNKNOWN', `Internal server error (request ${requestId})`)
}
