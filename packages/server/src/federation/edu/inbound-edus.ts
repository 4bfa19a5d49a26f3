/**
 * The EDUs of an inbound transaction (server-server-api §EDUs), each handed to the handler for
 * its `edu_type`. An EDU is best-effort by design: one that is malformed, of a type this server
 * does not handle, or whose handler fails is logged and dropped, and the transaction's PDUs are
 * answered as usual.
 */
import { isJsonObject, type JsonObject, type JsonValue, type ServerName } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'

/** Takes one EDU's `content` from `origin` (already authenticated as the transaction's sender). */
export type EduHandler = (origin: ServerName, content: JsonObject) => Promise<void>

/** Handlers by `edu_type`. */
export type EduHandlers = Readonly<Partial<Record<string, EduHandler>>>

export async function receiveEdus(
  handlers: EduHandlers,
  origin: ServerName,
  edus: readonly JsonValue[],
  logger: Pick<Logger, 'debug' | 'info'> | undefined,
): Promise<void> {
  for (const edu of edus) {
    if (!isJsonObject(edu)) continue
    const type = edu['edu_type']
    const content = edu['content']
    if (typeof type !== 'string' || !isJsonObject(content)) {
      logger?.debug({ origin }, 'dropped a malformed EDU')
      continue
    }
    const handler = handlers[type]
    if (handler === undefined) {
      logger?.debug({ origin, edu_type: type }, 'dropped an EDU of a type not handled')
      continue
    }
    try {
      await handler(origin, content)
    } catch (error) {
      logger?.info({ err: error, origin, edu_type: type }, 'an EDU failed')
    }
  }
}
