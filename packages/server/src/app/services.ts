import type { Config } from '../config/config.js'
import type { ServerKeyPublisher } from '../keys/server-keys.js'

/**
 * What route handlers may use, built once by the composition root (startHomeserver) and passed
 * down: no module holds a service of its own. Each handler names only the members it needs, so a
 * test can hand it a small object. Storage, rooms, sync and accounts join here as they are built.
 */
export interface Services {
  readonly config: Config
  readonly serverKeys: ServerKeyPublisher
  readonly now: () => number
}
