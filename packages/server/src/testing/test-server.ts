import type { FastifyInstance } from 'fastify'
import { noAccounts } from '../http/authenticate.js'
import { createHttpApp, type HttpAppOptions } from '../http/create-http-app.js'
import { noRateLimits } from '../rate-limit/rate-limiter.js'
import { captureLogs, type CapturedLogs } from './capture-logs.js'

export interface TestServer {
  /** The base URL, without a trailing slash: `${server.url}/_matrix/client/versions`. */
  readonly url: string
  readonly app: FastifyInstance
  readonly logs: CapturedLogs
  close(): Promise<void>
}

export type TestServerOptions<S> = Pick<HttpAppOptions<S>, 'routes' | 'services'> &
  Partial<Omit<HttpAppOptions<S>, 'routes' | 'services' | 'logger'>>

/**
 * The HTTP application listening on 127.0.0.1 at a free port, for tests that speak real HTTP.
 * Its logs are captured; by default no token is valid and nothing is rate limited.
 */
export async function startTestServer<S>(options: TestServerOptions<S>): Promise<TestServer> {
  const logs = captureLogs()
  const app = createHttpApp({
    authenticate: noAccounts,
    rateLimiter: noRateLimits,
    maxBodySize: 1024 * 1024,
    ...options,
    logger: logs.logger,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (typeof address !== 'object' || address === null) throw new Error('not listening on TCP')
  return { url: `http://127.0.0.1:${address.port}`, app, logs, close: () => app.close() }
}
