import { matrixError } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  ERRCODE_STATUS,
  forbidden,
  internalError,
  limitExceeded,
  missingToken,
  notFound,
  serverError,
  toHttpError,
  tooLarge,
  unknownToken,
  unrecognized,
} from './errors.js'

describe('ERRCODE_STATUS', () => {
  it('gives the statuses the spec names', () => {
    expect(ERRCODE_STATUS).toMatchObject({
      M_UNKNOWN_TOKEN: 401,
      M_MISSING_TOKEN: 401,
      M_FORBIDDEN: 403,
      M_NOT_FOUND: 404,
      M_UNRECOGNIZED: 404,
      M_LIMIT_EXCEEDED: 429,
      M_TOO_LARGE: 413,
      M_USER_IN_USE: 400,
      M_INVALID_USERNAME: 400,
      M_EXCLUSIVE: 400,
      M_UNSUPPORTED_ROOM_VERSION: 400,
      M_INCOMPATIBLE_ROOM_VERSION: 400,
      M_ROOM_IN_USE: 400,
      M_BAD_STATE: 400,
      M_GUEST_ACCESS_FORBIDDEN: 403,
      M_USER_DEACTIVATED: 403,
      M_INVALID_PARAM: 400,
      M_MISSING_PARAM: 400,
      M_NOT_JSON: 400,
      M_BAD_JSON: 400,
      M_WEAK_PASSWORD: 400,
      M_UNKNOWN: 500,
      M_NOT_YET_UPLOADED: 504,
    })
  })
})

describe('toHttpError', () => {
  it('maps a core MatrixError as it is', () => {
    expect(toHttpError(matrixError('M_BAD_JSON', 'no'))).toEqual({
      status: 400,
      headers: {},
      body: { errcode: 'M_BAD_JSON', error: 'no' },
    })
  })

  it('lets an error choose its own status', () => {
    expect(toHttpError(unrecognized(405)).status).toBe(405)
    expect(toHttpError(unrecognized()).status).toBe(404)
    expect(toHttpError(serverError('M_UNKNOWN', 'bad request', { status: 400 })).status).toBe(400)
  })

  it('sends retry_after_ms and Retry-After in whole seconds, rounded up', () => {
    expect(toHttpError(limitExceeded(1500))).toEqual({
      status: 429,
      headers: { 'retry-after': '2' },
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 1500 },
    })
    expect(toHttpError(limitExceeded(0.2)).body['retry_after_ms']).toBe(1)
    expect(toHttpError(limitExceeded(-5)).headers['retry-after']).toBe('0')
  })

  it('always says soft_logout on M_UNKNOWN_TOKEN, and elsewhere when set', () => {
    expect(toHttpError(unknownToken()).body).toEqual({
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'Unknown access token',
      soft_logout: false,
    })
    expect(toHttpError(unknownToken('expired', true)).body['soft_logout']).toBe(true)
    expect(toHttpError(serverError('M_USER_LOCKED', 'locked', { softLogout: true })).body).toEqual({
      errcode: 'M_USER_LOCKED',
      error: 'locked',
      soft_logout: true,
    })
    expect(toHttpError(forbidden('no')).body).not.toHaveProperty('soft_logout')
  })

  it('adds extra members without letting them replace errcode or error', () => {
    const e = serverError('M_INCOMPATIBLE_ROOM_VERSION', 'old', {
      extra: { room_version: '1', errcode: 'M_FAKE' },
    })
    expect(toHttpError(e).body).toEqual({
      room_version: '1',
      errcode: 'M_INCOMPATIBLE_ROOM_VERSION',
      error: 'old',
    })
  })

  it('has constructors for the common cases', () => {
    expect(toHttpError(missingToken()).status).toBe(401)
    expect(toHttpError(tooLarge()).status).toBe(413)
    expect(toHttpError(notFound('gone')).body).toEqual({ errcode: 'M_NOT_FOUND', error: 'gone' })
    expect(internalError('abc-1').error).toContain('abc-1')
  })
})
