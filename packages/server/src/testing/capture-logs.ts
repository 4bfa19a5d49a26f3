import { Writable } from 'node:stream'
import type { LogConfig } from '../config/config.js'
import { createLogger, type Logger } from '../logging/logger.js'

export interface CapturedLogs {
  readonly logger: Logger
  /** Every line written so far, raw. */
  readonly text: () => string
  /** The lines parsed as JSON objects. */
  readonly entries: () => Record<string, unknown>[]
}

/** A real logger (the server's own configuration of pino) that writes into memory. */
export function captureLogs(config: Partial<LogConfig> = {}): CapturedLogs {
  const lines: string[] = []
  const logger = createLogger(
    { level: config.level ?? 'info', format: config.format ?? 'json' },
    lineCollector(lines),
  )
  return {
    logger,
    text: () => lines.join(''),
    entries: () =>
      lines
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

/** A stream that keeps what is written to it, synchronously, as text. */
export function lineCollector(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
}
