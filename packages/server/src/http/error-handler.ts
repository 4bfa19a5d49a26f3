import type { FastifyError, FastifyInstance } from 'fastify'
import { internalError, serverError, tooLarge, unrecognized, type ServerError } from './errors.js'
import { sendError } from './send-error.js'

/**
 * Every failure becomes a Matrix error. Unknown paths are 404 M_UNRECOGNIZED. Fastify's own
 * rejections (an oversized or malformed request) keep their 4xx status. Anything else is a bug:
 * it is logged with the request ID, and the client gets a 500 M_UNKNOWN naming only that ID.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => sendError(reply, unrecognized(404)))
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = mapFrameworkError(error)
    if (mapped !== undefined) return sendError(reply, mapped)
    request.log.error({ err: error, request_id: request.id }, 'unhandled error')
    return sendError(reply, internalError(request.id))
  })
}

/** A Matrix error for Fastify's own 4xx errors; undefined for anything else. */
export function mapFrameworkError(error: FastifyError): ServerError | undefined {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge()
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return serverError('M_UNKNOWN', error.message, { status })
  }
  return undefined
}
