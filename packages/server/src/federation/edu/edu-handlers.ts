/**
 * The EDU types this server takes from other servers, each with its handler. The handlers for
 * each kind of EDU live beside the service that owns what it carries.
 */
import type { Storage } from '../../storage/interface.js'
import type { Logger } from '../../logging/logger.js'
import type { EduHandlers } from './inbound-edus.js'
import type { ServerName } from '@rhizome/core'
import { presenceEduHandler, PRESENCE_EDU } from '../../presence/presence-federation.js'
import { receiptEduHandler, RECEIPT_EDU } from '../../receipts/receipt-federation.js'
import { typingEduHandler, TYPING_EDU } from '../../typing/typing-federation.js'
import type { TypingService } from '../../typing/typing-service.js'
import { e2eeEduHandlers } from '../../e2ee/inbound-e2ee-edus.js'
import type { RemoteDeviceLists } from '../../e2ee/remote-device-lists.js'

export interface EduHandlerDeps {
  readonly storage: Storage
  readonly now: () => number
  readonly logger: Logger
  readonly serverName: ServerName
  /** Other servers' typing notices are set, and expire, through it. */
  readonly typing: Pick<TypingService, 'setRemoteTyping'>
  /** Off, other servers' presence is dropped as this server's own is not kept. */
  readonly presenceEnabled: boolean
  /** Other servers' users' kept device lists, which their key updates go into. */
  readonly deviceLists?: Pick<RemoteDeviceLists, 'deviceUpdated' | 'signingKeysUpdated'>
}

export function createEduHandlers(deps: EduHandlerDeps): EduHandlers {
  return {
    [TYPING_EDU]: typingEduHandler(deps),
    [RECEIPT_EDU]: receiptEduHandler(deps),
    ...e2eeEduHandlers(deps),
    ...(deps.presenceEnabled ? { [PRESENCE_EDU]: presenceEduHandler(deps) } : {}),
  }
}
