/**
 * The EDU types this server takes from other servers, each with its handler. The handlers for
 * each kind of EDU live beside the service that owns what it carries.
 */
import type { Storage } from '../../storage/interface.js'
import type { Logger } from '../../logging/logger.js'
import type { EduHandlers } from './inbound-edus.js'

export interface EduHandlerDeps {
  readonly storage: Storage
  readonly now: () => number
  readonly logger: Logger
}

export function createEduHandlers(_deps: EduHandlerDeps): EduHandlers {
  return {}
}
