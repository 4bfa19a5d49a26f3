import type { FastifyInstance } from 'fastify'
import { redactUrl } from '../logging/redact-url.js'

/**
 * One log line per response: method, path, status and time. Headers and bodies are never logged,
 * and credentials in the query string are redacted, so no token or password reaches the log.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    // The server's logger with the request ID as a field: the same line as through request.log,
    // without making the request's child logger.
    request.server.log.info(
      {
        request_id: request.id,
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
      },
      'request',
    )
  })
}
