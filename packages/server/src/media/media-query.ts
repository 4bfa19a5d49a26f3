import { err, ok, type Result } from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import type { ThumbnailMethod, ThumbnailRequest } from './thumbnailer.js'

/** The spec's default wait for content still being uploaded. */
export const DEFAULT_TIMEOUT_MS = 20_000

const INTEGER = /^[0-9]{1,15}$/

function invalid(error: string): ServerError {
  return serverError('M_INVALID_PARAM', error)
}

/** `timeout_ms`: a non-negative integer, 20 seconds when absent. */
export function readTimeoutMs(query: URLSearchParams): Result<number, ServerError> {
  const raw = query.get('timeout_ms')
  if (raw === null) return ok(DEFAULT_TIMEOUT_MS)
  if (!INTEGER.test(raw)) return err(invalid('timeout_ms must be a non-negative integer'))
  return ok(Number(raw))
}

function readBoolean(query: URLSearchParams, name: string): Result<boolean, ServerError> {
  const raw = query.get(name)
  if (raw === null || raw === 'false') return ok(false)
  if (raw === 'true') return ok(true)
  return err(invalid(`${name} must be true or false`))
}

function readDimension(query: URLSearchParams, name: string): Result<number, ServerError> {
  const raw = query.get(name)
  if (raw === null) return err(serverError('M_MISSING_PARAM', `${name} is required`))
  if (!INTEGER.test(raw) || Number(raw) < 1) {
    return err(invalid(`${name} must be a positive integer`))
  }
  return ok(Number(raw))
}

/** The thumbnail parameters; `method` defaults to scale, `animated` to false. */
export function readThumbnailQuery(
  query: URLSearchParams,
): Result<{ readonly request: ThumbnailRequest; readonly timeoutMs: number }, ServerError> {
  const width = readDimension(query, 'width')
  if (!width.ok) return width
  const height = readDimension(query, 'height')
  if (!height.ok) return height
  const rawMethod = query.get('method') ?? 'scale'
  if (rawMethod !== 'crop' && rawMethod !== 'scale') {
    return err(invalid('method must be crop or scale'))
  }
  const method: ThumbnailMethod = rawMethod
  const animated = readBoolean(query, 'animated')
  if (!animated.ok) return animated
  const timeoutMs = readTimeoutMs(query)
  if (!timeoutMs.ok) return timeoutMs
  return ok({
    request: { width: width.value, height: height.value, method, animated: animated.value },
    timeoutMs: timeoutMs.value,
  })
}
