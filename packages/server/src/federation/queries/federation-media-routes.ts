/**
 * This server's media, for other servers (server-server-api §Content Repository):
 *
 * - `GET /_matrix/federation/v1/media/download/{mediaId}`
 * - `GET /_matrix/federation/v1/media/thumbnail/{mediaId}`
 *
 * Each answers `multipart/mixed`: an empty JSON object, then the bytes. Only media uploaded here
 * is served; media this server fetched from others is theirs to serve.
 */
import { ok, type ServerName } from '@rhizome/core'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { RawResponse } from '../../http/raw-response.js'
import { contentDisposition, isInlineSafe } from '../../media/media-headers.js'
import { mediaIdParam } from '../../media/media-id.js'
import { readThumbnailQuery, readTimeoutMs } from '../../media/media-query.js'
import type { MediaService, ServedFile } from '../../media/media-service.js'
import { multipartMedia } from './media-multipart.js'

export interface FederationMediaServices {
  readonly config: { readonly serverName: ServerName }
  readonly media: Pick<MediaService, 'download' | 'thumbnail'>
}

export const federationDownloadEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/media/download/:mediaId'],
  auth: 'federation',
  params: { mediaId: mediaIdParam },
  query: readTimeoutMs,
})

export const federationThumbnailEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/media/thumbnail/:mediaId'],
  auth: 'federation',
  params: { mediaId: mediaIdParam },
  query: readThumbnailQuery,
})

function multipartResponse(file: ServedFile, filename: string | undefined): RawResponse {
  const multipart = multipartMedia({
    contentType: file.contentType,
    contentDisposition: contentDisposition(
      isInlineSafe(file.contentType) ? 'inline' : 'attachment',
      filename,
    ),
    size: file.size,
    body: file.body,
  })
  return new RawResponse(
    200,
    {
      'content-type': multipart.contentType,
      'content-length': String(multipart.contentLength),
    },
    multipart.body,
  )
}

export const federationMediaRoutes: readonly Route<FederationMediaServices>[] = [
  handle(
    federationDownloadEndpoint,
    async ({ params, query, request }, services: FederationMediaServices) => {
      const file = await services.media.download(services.config.serverName, params.mediaId, {
        legacy: false,
        timeoutMs: query,
        signal: request.signal,
      })
      return file.ok ? ok(multipartResponse(file.value, file.value.filename)) : file
    },
  ),
  handle(
    federationThumbnailEndpoint,
    async ({ params, query, request }, services: FederationMediaServices) => {
      const file = await services.media.thumbnail(
        services.config.serverName,
        params.mediaId,
        query.request,
        { legacy: false, timeoutMs: query.timeoutMs, signal: request.signal },
      )
      return file.ok ? ok(multipartResponse(file.value, undefined)) : file
    },
  ),
]
