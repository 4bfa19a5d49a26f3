import type { FastifyError } from 'fastify'
import { describe, expect, it } from 'vitest'
import { mapFrameworkError } from './error-handler.js'

function fastifyError(code: string, statusCode: number | undefined, message = 'm'): FastifyError {
  const e = new Error(message) as FastifyError
  e.code = code
  if (statusCode !== undefined) e.statusCode = statusCode
  return e
}

describe('mapFrameworkError', () => {
  it('maps the body limit to M_TOO_LARGE and other 4xx to M_UNKNOWN with their status', () => {
    expect(mapFrameworkError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413))?.errcode).toBe(
      'M_TOO_LARGE',
    )
    expect(
      mapFrameworkError(fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'length')),
    ).toEqual({
      errcode: 'M_UNKNOWN',
      error: 'length',
      status: 400,
    })
  })

  it('leaves everything else to the 500 path', () => {
    expect(mapFrameworkError(fastifyError('ERR_X', 500))).toBeUndefined()
    expect(mapFrameworkError(fastifyError('ERR_X', undefined))).toBeUndefined()
  })
})
