/**
 * Event IDs (appendices §Event IDs; rooms/fragments/v1-event-ids.md, rooms/v3.md,
 * rooms/fragments/v4-event-ids.md), at most 255 bytes:
 * - room versions 1 and 2: `$opaque_id:server_name`, chosen by the origin server. The spec gives
 *   the opaque part no grammar; it is held to the localpart rule of the common identifier format
 *   (no `:`, NUL or lone surrogate).
 * - version 3: `$` + the reference hash (sha256) in standard unpadded base64: 43 characters.
 * - version 4 and later: the same in URL-safe unpadded base64.
 * A hash must be the canonical encoding of 32 bytes, since a real hash can only encode that way.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { isUnpaddedBase64 } from '../encoding/base64.js'
import type { EventIdFormat } from '../room-versions/rules.js'
import { checkCommonId } from './common-id.js'
import { quoteForError } from './id-text.js'
import type { EventId } from './types.js'

/** Bytes in a sha256 reference hash. */
export const REFERENCE_HASH_BYTES = 32

/**
 * Checks `raw` as an event ID of `format`. Without a format (a client names an event in a path
 * before we know the room's version), any of the three shapes is accepted.
 */
export function parseEventId(raw: string, format?: EventIdFormat): Result<EventId> {
  if (typeof raw !== 'string') return err(invalidParam('event ID must be a string'))
  if (!raw.startsWith('$'))
    return err(invalidParam(`event ID must start with '$': ${quoteForError(raw)}`))
  const resolved = format ?? (raw.includes(':') ? 'origin-assigned' : undefined)
  switch (resolved) {
    case 'origin-assigned': {
      const colon = checkCommonId(raw, '$', 'event ID')
      return colon.ok ? ok(raw as EventId) : colon
    }
    case 'reference-hash-standard':
      if (isUnpaddedBase64(raw, REFERENCE_HASH_BYTES, 'standard', 1)) return ok(raw as EventId)
      return err(
        invalidParam(`event ID is not '$' and a base64 sha256 hash: ${quoteForError(raw)}`),
      )
    case 'reference-hash-url-safe':
      if (isUnpaddedBase64(raw, REFERENCE_HASH_BYTES, 'url-safe', 1)) return ok(raw as EventId)
      return err(
        invalidParam(
          `event ID is not '$' and a URL-safe base64 sha256 hash: ${quoteForError(raw)}`,
        ),
      )
    case undefined:
      if (
        isUnpaddedBase64(raw, REFERENCE_HASH_BYTES, 'url-safe', 1) ||
        isUnpaddedBase64(raw, REFERENCE_HASH_BYTES, 'standard', 1)
      ) {
        return ok(raw as EventId)
      }
      return err(
        invalidParam(
          `event ID is neither '$opaque:server' nor '$' and a base64 sha256 hash: ${quoteForError(raw)}`,
        ),
      )
  }
}
