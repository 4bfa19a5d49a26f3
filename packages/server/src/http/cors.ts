import type { FastifyInstance } from 'fastify'

/**
 * The headers client-server-api §Web Browser Clients recommends on every response, so that web
 * clients on other origins can call the API. Credentials travel in the Authorization header,
 * never in cookies, so allowing every origin exposes nothing.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
}

/**
 * Adds the CORS headers to every response, errors included, and answers every OPTIONS request
 * (a browser's preflight) with 204 and nothing else: the spec forbids running an endpoint's
 * logic for OPTIONS.
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(CORS_HEADERS)
    return payload
  })
  app.route({
    method: 'OPTIONS',
    url: '*',
    handler: async (_request, reply) => reply.code(204).send(),
  })
}
