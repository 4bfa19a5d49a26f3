import type { RunningHomeserver } from '../app/start-homeserver.js'
import type { LogConfig } from '../config/config.js'
import type { Logger } from '../logging/logger.js'

/** The outside world of a CLI run, passed in so that tests can run commands in-process. */
export interface CliIo {
  /** Writes to standard output (text includes its own newlines). */
  readonly out: (text: string) => void
  /** Writes to standard error. */
  readonly err: (text: string) => void
  readonly cwd: string
  readonly createLogger: (config: LogConfig) => Logger
  /** Resolves when the running server should stop (SIGINT or SIGTERM for a real process). */
  readonly waitForShutdown: (server: RunningHomeserver) => Promise<void>
}

/** Exit statuses: 2 is a usage mistake, as for most Unix tools. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
