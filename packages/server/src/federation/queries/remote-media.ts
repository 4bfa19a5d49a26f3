/**
 * Fetching another server's media for this server's clients (server-server-api §Content
 * Repository): `GET /_matrix/federation/v1/media/download/{mediaId}` and `.../thumbnail/...`,
 * whose `multipart/mixed` answer carries the bytes or a `Location` to fetch them from. The
 * media service keeps what comes back (media/media-service.ts).
 */
import { err, isJsonObject, ok, type Result, type ServerName } from '@rhizome/core'
import { serverError, tooLarge, type ServerError } from '../../http/errors.js'
import type { ThumbnailRequest } from '../../media/thumbnailer.js'
import { fetchPublic } from '../../media/url-preview/safe-fetch.js'
import type { FederationBytesRequester, FederationFailure } from '../transport/federation-client.js'
import { parseMultipartMedia } from './media-multipart.js'

export interface FetchedMedia {
  readonly contentType: string | undefined
  readonly filename: string | undefined
  readonly bytes: Uint8Array
}

export interface RemoteMediaOptions {
  readonly timeoutMs: number
  readonly maxBytes: number
  readonly signal?: AbortSignal
}

export interface RemoteMediaFetcher {
  download(
    origin: ServerName,
    mediaId: string,
    options: RemoteMediaOptions,
  ): Promise<Result<FetchedMedia, ServerError>>
  thumbnail(
    origin: ServerName,
    mediaId: string,
    request: ThumbnailRequest,
    options: RemoteMediaOptions,
  ): Promise<Result<FetchedMedia, ServerError>>
}

export interface RemoteMediaDeps {
  readonly requester: FederationBytesRequester
  /** Whether a `Location` may point at private and loopback addresses (federation's setting). */
  readonly allowPrivateAddresses: boolean
}

/** The multipart framing around the media: headers and the JSON part are small. */
const FRAMING_BYTES = 64 * 1024

export function createRemoteMediaFetcher(deps: RemoteMediaDeps): RemoteMediaFetcher {
  const fetchFrom = async (
    origin: ServerName,
    path: string,
    query: Record<string, string>,
    options: RemoteMediaOptions,
  ): Promise<Result<FetchedMedia, ServerError>> => {
    const answer = await deps.requester.requestBytes(origin, path, {
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes + FRAMING_BYTES,
      query: { ...query, timeout_ms: String(options.timeoutMs) },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    if (!answer.ok) return err(mediaErrorOf(answer.error, origin, options.maxBytes))
    const part = parseMultipartMedia(answer.value.contentType ?? '', answer.value.body)
    if (!part.ok)
      return err(badGateway(`${origin} sent media this server cannot read: ${part.error}`))
    if (part.value.kind === 'bytes') {
      const { bytes, contentType, contentDisposition } = part.value
      if (bytes.byteLength > options.maxBytes) return err(tooBig(options.maxBytes))
      return ok({ contentType, filename: filenameOf(contentDisposition), bytes })
    }
    let url: URL
    try {
      url = new URL(part.value.location)
    } catch {
      return err(badGateway(`${origin} redirected to something that is not a URL`))
    }
    const fetched = await fetchPublic(url, {
      allowPrivate: deps.allowPrivateAddresses,
      maxBytes: options.maxBytes,
      truncate: false,
      timeoutMs: options.timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    if (!fetched.ok) {
      return err(
        fetched.error.kind === 'too_large'
          ? tooBig(options.maxBytes)
          : badGateway(`the media of ${origin} could not be fetched from where it redirected`),
      )
    }
    return ok({
      contentType: fetched.value.contentType,
      filename: undefined,
      bytes: fetched.value.body,
    })
  }
  return {
    download: (origin, mediaId, options) =>
      fetchFrom(
        origin,
        `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}`,
        {},
        options,
      ),
    thumbnail: (origin, mediaId, request, options) =>
      fetchFrom(
        origin,
        `/_matrix/federation/v1/media/thumbnail/${encodeURIComponent(mediaId)}`,
        {
          width: String(request.width),
          height: String(request.height),
          method: request.method,
          animated: String(request.animated),
        },
        options,
      ),
  }
}

/**
 * The file name of a Content-Disposition value: `filename*` (RFC 8187, UTF-8) when present and
 * readable, else a plain or quoted `filename`.
 */
export function filenameOf(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined
  const extended = /;\s*filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(disposition)
  if (extended?.[1] !== undefined) {
    try {
      return decodeURIComponent(extended[1])
    } catch {
      // Not valid percent-encoding: fall back to the plain parameter.
    }
  }
  const quoted = /;\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition)
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1')
  const plain = /;\s*filename\s*=\s*([^;\s"]+)/i.exec(disposition)
  return plain?.[1]
}

/** The other server's 404 stays a 404 (no such media); anything else is its failure: 502. */
function mediaErrorOf(
  failure: FederationFailure,
  origin: ServerName,
  maxBytes: number,
): ServerError {
  if (failure.kind === 'http' && failure.status === 404) {
    return serverError('M_NOT_FOUND', 'No such media')
  }
  if (
    failure.kind === 'http' &&
    isJsonObject(failure.body) &&
    failure.body['errcode'] === 'M_NOT_YET_UPLOADED'
  ) {
    return serverError('M_NOT_YET_UPLOADED', 'The content of this media has not been uploaded yet')
  }
  if (failure.kind === 'http' && failure.status >= 200 && failure.status < 300) {
    return tooBig(maxBytes)
  }
  return badGateway(`could not fetch media from ${origin}: ${failure.message}`)
}

function tooBig(maxBytes: number): ServerError {
  return tooLarge(`The media is larger than this server's limit of ${maxBytes} bytes`)
}

function badGateway(message: string): ServerError {
  return serverError('M_UNKNOWN', message, { status: 502 })
}
