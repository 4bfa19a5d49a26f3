import { ConnectionError, MatrixError } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { errorText } from './errorText'

describe('errorText', () => {
  it('prefers the homeserver explanation', () => {
    const error = new MatrixError({ errcode: 'M_FORBIDDEN', error: 'Invalid password' }, 403)
    expect(errorText(error)).toBe('Invalid password')
  })

  it('explains unreachable servers and falls back to the message', () => {
    expect(errorText(new ConnectionError('fetch failed'))).toBe(
      'The homeserver could not be reached.',
    )
    expect(errorText(new Error('boom'))).toBe('boom')
    expect(errorText('odd')).toBe('odd')
  })
})
