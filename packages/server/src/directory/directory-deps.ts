import type { ServerName } from '@rhizome/core'
import type { RemoteQueries } from '../federation/queries/remote-queries.js'
import type { EventPipeline } from '../rooms/event-pipeline.js'
import type { Storage } from '../storage/interface.js'

/** What the directory modules use: storage, and the room service's write path. */
export interface DirectoryDeps {
  readonly storage: Storage
  readonly serverName: ServerName
  /** For the room versions of rooms, and the canonical alias update when an alias goes. */
  readonly pipeline: EventPipeline
  readonly now: () => number
  /** Other servers' aliases and room directories; undefined when federation is off. */
  readonly remote?: Pick<RemoteQueries, 'resolveAlias' | 'publicRooms'>
}
