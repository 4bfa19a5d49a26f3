import type { MatrixError } from '@rhizome/core'
import type { FastifyReply } from 'fastify'
import { toHttpError, type ServerError } from './errors.js'

/** Sends a Matrix error response: its status, its headers (Retry-After) and its JSON body. */
export function sendError(reply: FastifyReply, error: ServerError | MatrixError): FastifyReply {
  const response = toHttpError(error)
  return reply.code(response.status).headers(response.headers).send(response.body)
}
