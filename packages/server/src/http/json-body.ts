import { err, isJsonObject, ok, parseJson, type JsonObject, type Result } from '@rhizome/core'
import { badJson, notJson, type ServerError } from './errors.js'

/** What to make of a request that has no body (or an empty one) where a JSON object is read. */
export type EmptyBodyPolicy = 'reject' | 'empty-object'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The request body as a JSON object. M_NOT_JSON for bytes that are not UTF-8 JSON; M_BAD_JSON for
 * JSON that we cannot represent faithfully (core's parseJson: integers beyond 2^53, duplicate
 * keys, lone surrogates, excessive depth) and for JSON that is not an object.
 */
export function readJsonObjectBody(
  body: Uint8Array | undefined,
  empty: EmptyBodyPolicy,
): Result<JsonObject, ServerError> {
  if (body === undefined || body.length === 0) {
    return empty === 'empty-object'
      ? ok({})
      : err(notJson('Request body is empty: expected a JSON object'))
  }
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return err(notJson('Request body is not UTF-8'))
  }
  const parsed = parseJson(text)
  if (!parsed.ok) return parsed
  if (!isJsonObject(parsed.value)) return err(badJson('Request body must be a JSON object'))
  return ok(parsed.value)
}
