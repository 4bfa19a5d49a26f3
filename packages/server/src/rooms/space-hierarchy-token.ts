/**
 * The `next_batch` / `from` tokens of `GET /hierarchy`: how many rooms of the walk earlier pages
 * returned, with the request's root room, `suggested_only` and `max_depth`, which the spec
 * forbids changing while paging. The walk is deterministic for a given state, so a page is found
 * again by walking from the root and skipping that many rooms: nothing is kept on the server
 * (any worker can serve the next page) and tokens stay short. A space that changes between pages
 * shifts the later pages, as a paged list does.
 *
 * Opaque to clients: `h.<skip>.<s|a><max_depth or ->.<root room ID in URL-safe base64>`.
 */
import {
  decodeBase64Url,
  encodeBase64Url,
  err,
  ok,
  parseRoomId,
  utf8Decode,
  utf8Encode,
  type Result,
  type RoomId,
} from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'

export interface HierarchyToken {
  readonly root: RoomId
  readonly suggestedOnly: boolean
  /** As the first request gave it; undefined when it gave none. */
  readonly maxDepth: number | undefined
  /** Rooms the earlier pages returned. */
  readonly skip: number
}

const NUMBER = /^(0|[1-9][0-9]{0,8})$/

export function encodeHierarchyToken(token: HierarchyToken): string {
  const depth = token.maxDepth === undefined ? '-' : String(token.maxDepth)
  const flags = `${token.suggestedOnly ? 's' : 'a'}${depth}`
  return `h.${token.skip}.${flags}.${encodeBase64Url(utf8Encode(token.root))}`
}

export function decodeHierarchyToken(raw: string): Result<HierarchyToken, ServerError> {
  const invalid = err(
    serverError('M_INVALID_PARAM', 'from is not a pagination token of this server'),
  )
  const [prefix, skip, flags, root, ...rest] = raw.split('.')
  if (prefix !== 'h' || rest.length > 0 || skip === undefined || !NUMBER.test(skip)) return invalid
  const suggested = flags?.[0]
  const depth = flags?.slice(1)
  if ((suggested !== 's' && suggested !== 'a') || depth === undefined) return invalid
  if (depth !== '-' && !NUMBER.test(depth)) return invalid
  const bytes = root === undefined ? undefined : decodeBase64Url(root)
  const text = bytes === undefined || !bytes.ok ? undefined : utf8Decode(bytes.value)
  const roomId = text === undefined || !text.ok ? undefined : parseRoomId(text.value)
  if (roomId === undefined || !roomId.ok) return invalid
  return ok({
    root: roomId.value,
    suggestedOnly: suggested === 's',
    maxDepth: depth === '-' ? undefined : Number(depth),
    skip: Number(skip),
  })
}
