import type { Logger } from '../logging/logger.js'

export interface StorageOptions {
  readonly logger?: Logger
  /** PostgreSQL connections per process (default 10). */
  readonly poolSize?: number
  /** The clock for the timestamps storage writes itself (rooms, transaction IDs). */
  readonly now?: () => number
  /** The state-group cache's budget, in state entries (default 500 000). */
  readonly stateCacheEntries?: number
}

export const DEFAULT_STATE_CACHE_ENTRIES = 500_000
