import pino from 'pino'
import { createRequire } from 'node:module'
import type PinoPretty from 'pino-pretty'
import type { LogConfig } from '../config/config.js'
import { redactUrl } from './redact-url.js'

export type Logger = pino.Logger
/** Where log lines go; a Node stream, so that both the JSON and the pretty writer can use it. */
export type LogDestination = NodeJS.WritableStream

/**
 * Fields that must never reach a log, wherever they appear in a logged object. Request logging
 * writes no headers or bodies at all; this is the second line of defence for code that logs an
 * object carelessly.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'access_token',
  'refresh_token',
  'password',
  'new_password',
  'token',
  '*.access_token',
  '*.refresh_token',
  '*.password',
  '*.new_password',
  '*.token',
  'auth.password',
  'body',
  '*.body',
]

/**
 * The server's logger: pretty lines for a terminal, or one JSON object per line. `destination`
 * defaults to standard output; tests pass a stream that collects the lines.
 */
export function createLogger(config: LogConfig, destination?: LogDestination): Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    serializers: {
      err: pino.stdSerializers.err,
      req: serializeRequest,
    },
  }
  if (config.format === 'json') {
    // Asynchronous: a line is handed to the kernel after the response has gone out, so logging
    // never holds up a request. Lines still buffered are flushed when the process exits; a
    // SIGKILL can lose the last few, which is acceptable for logs (never for data).
    return pino(options, destination ?? pino.destination({ dest: 1, sync: false }))
  }
  // Loaded only for the pretty format: it is a tenth of an idle server's memory, and production
  // servers log JSON.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty
  const stream = pretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  })
  return pino(options, stream)
}

/** What a request looks like in a log line: no headers, no body, no token in the URL. */
function serializeRequest(req: unknown): Record<string, unknown> {
  if (typeof req !== 'object' || req === null) return {}
  const { method, url } = req as { method?: unknown; url?: unknown }
  return {
    method: typeof method === 'string' ? method : undefined,
    url: typeof url === 'string' ? redactUrl(url) : undefined,
  }
}
