import { ConnectionError, MatrixError } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { PermanentSendError, isRetryableSendError } from './sendErrors'

describe('isRetryableSendError', () => {
  it('retries when the server could not be reached or is overloaded', () => {
    expect(isRetryableSendError(new ConnectionError('fetch failed'))).toBe(true)
    expect(isRetryableSendError(new TypeError('Failed to fetch'))).toBe(true)
    expect(isRetryableSendError(new MatrixError({ errcode: 'M_LIMIT_EXCEEDED' }, 429))).toBe(true)
    expect(isRetryableSendError(new MatrixError({ errcode: 'M_UNKNOWN' }, 502))).toBe(true)
  })

  it('gives up on requests the server refused', () => {
    expect(isRetryableSendError(new MatrixError({ errcode: 'M_FORBIDDEN' }, 403))).toBe(false)
    expect(isRetryableSendError(new MatrixError({ errcode: 'M_NOT_FOUND' }, 404))).toBe(false)
    expect(isRetryableSendError(new PermanentSendError('no such room'))).toBe(false)
  })
})
