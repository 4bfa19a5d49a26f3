/**
 * The content repository's endpoints (client-server-api §Content repository):
 *
 * - uploads: `POST /_matrix/media/v3/upload`, `POST /_matrix/media/v1/create` and
 *   `PUT /_matrix/media/v3/upload/{serverName}/{mediaId}`;
 * - authenticated media (v1.11): `/_matrix/client/v1/media/download`, `/thumbnail`, `/config`
 *   and `/preview_url`;
 * - the deprecated `/_matrix/media/v3/download` and `/thumbnail` without authentication, which
 *   serve only media from before the freeze, and `/_matrix/media/v3/config` and `/preview_url`.
 *
 * Every response carries the headers that keep media from running in a browser.
 */
import { err, ok, type Result } from '@rhizome/core'
import { defineEndpoint, handle, type Route } from '../http/endpoint.js'
import { missingToken, unrecognized, type ServerError } from '../http/errors.js'
import { RawResponse } from '../http/raw-response.js'
import { contentDisposition, isInlineSafe, MEDIA_SECURITY_HEADERS } from './media-headers.js'
import { mediaIdParam, mediaServerParam } from './media-id.js'
import { readThumbnailQuery, readTimeoutMs } from './media-query.js'
import type { MediaService, ServedFile, ServedMedia } from './media-service.js'
import type { UrlPreviewService } from './url-preview/url-preview-service.js'

/** What the media endpoints use of the services. */
export interface MediaRouteServices {
  readonly media: MediaService
  /** Undefined when the configuration turns URL previews off. */
  readonly urlPreviews: UrlPreviewService | undefined
}

const CLIENT_V1 = '/_matrix/client/v1/media'
const MEDIA_V3 = '/_matrix/media/v3'
const MEDIA_R0 = '/_matrix/media/r0'

/** Media never changes under its ID; only the requester's cache may keep it (it is private). */
const CACHE_CONTROL = 'private, max-age=86400'

function secured<S>(route: Route<S>): Route<S> {
  return { ...route, headers: MEDIA_SECURITY_HEADERS }
}

function uploadRoute(
  method: 'POST' | 'PUT',
  paths: readonly string[],
  run: (
    input: Parameters<Route<MediaRouteServices>['run']>[0],
    services: MediaRouteServices,
  ) => Promise<Result<object, ServerError>>,
): Route<MediaRouteServices> {
  return {
    method,
    paths,
    auth: 'required',
    rateLimit: 'media_upload',
    streamBody: true,
    headers: MEDIA_SECURITY_HEADERS,
    run,
  }
}

function filenameOf(query: URLSearchParams): string | undefined {
  return query.get('filename') ?? undefined
}

const uploadMedia = uploadRoute(
  'POST',
  [`${MEDIA_V3}/upload`, `${MEDIA_R0}/upload`],
  async (request, services) => {
    const { requester, streamed } = request
    if (requester === undefined || streamed === undefined) return err(missingToken())
    return services.media.upload(requester, {
      body: streamed,
      filename: filenameOf(request.query),
    })
  },
)

const uploadToCreated = uploadRoute(
  'PUT',
  [`${MEDIA_V3}/upload/:serverName/:mediaId`],
  async (request, services) => {
    const { requester, streamed } = request
    if (requester === undefined || streamed === undefined) return err(missingToken())
    const serverName = mediaServerParam(request.params['serverName'] ?? '')
    if (!serverName.ok) return serverName
    const mediaId = mediaIdParam(request.params['mediaId'] ?? '')
    if (!mediaId.ok) return mediaId
    return services.media.uploadTo(requester, serverName.value, mediaId.value, {
      body: streamed,
      filename: filenameOf(request.query),
    })
  },
)

const createMedia = handle(
  defineEndpoint({
    method: 'POST',
    paths: ['/_matrix/media/v1/create'],
    auth: 'required',
    rateLimit: 'media_upload',
  }),
  ({ requester }, services: MediaRouteServices) => services.media.create(requester),
)

const mediaConfig = handle(
  defineEndpoint({
    method: 'GET',
    paths: [`${CLIENT_V1}/config`, `${MEDIA_V3}/config`, `${MEDIA_R0}/config`],
    auth: 'required',
  }),
  (_input, services: MediaRouteServices) =>
    Promise.resolve(ok({ 'm.upload.size': services.media.maxUploadSize })),
)

function downloadResponse(file: ServedMedia, filename: string | undefined): RawResponse {
  const disposition = isInlineSafe(file.contentType) ? 'inline' : 'attachment'
  return new RawResponse(
    200,
    {
      'content-type': file.contentType,
      'content-disposition': contentDisposition(disposition, filename),
      'content-length': String(file.size),
      'cache-control': CACHE_CONTROL,
    },
    file.body,
  )
}

const THUMBNAIL_EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

function thumbnailResponse(file: ServedFile): RawResponse {
  const extension = THUMBNAIL_EXTENSIONS[file.contentType.toLowerCase()]
  return new RawResponse(
    200,
    {
      'content-type': file.contentType,
      'content-disposition': contentDisposition(
        'inline',
        extension === undefined ? undefined : `thumbnail.${extension}`,
      ),
      'content-length': String(file.size),
      'cache-control': CACHE_CONTROL,
    },
    file.body,
  )
}

const mediaParams = { serverName: mediaServerParam, mediaId: mediaIdParam }

function downloadRoutes(legacy: boolean): Route<MediaRouteServices>[] {
  const bases = legacy ? [MEDIA_V3, MEDIA_R0] : [CLIENT_V1]
  // The legacy endpoints take no token, so their limit counts per client address.
  const auth = legacy ? 'none' : 'required'
  const plain = handle(
    defineEndpoint({
      method: 'GET',
      paths: bases.map((base) => `${base}/download/:serverName/:mediaId`),
      auth,
      rateLimit: 'media_download',
      params: mediaParams,
      query: readTimeoutMs,
    }),
    async ({ params, query, request }, services: MediaRouteServices) => {
      const file = await services.media.download(params.serverName, params.mediaId, {
        legacy,
        timeoutMs: query,
        signal: request.signal,
      })
      return file.ok ? ok(downloadResponse(file.value, file.value.filename)) : file
    },
  )
  const named = handle(
    defineEndpoint({
      method: 'GET',
      paths: bases.map((base) => `${base}/download/:serverName/:mediaId/:fileName`),
      auth,
      rateLimit: 'media_download',
      params: { ...mediaParams, fileName: (raw: string) => ok(raw) },
      query: readTimeoutMs,
    }),
    async ({ params, query, request }, services: MediaRouteServices) => {
      const file = await services.media.download(params.serverName, params.mediaId, {
        legacy,
        timeoutMs: query,
        signal: request.signal,
      })
      return file.ok ? ok(downloadResponse(file.value, params.fileName)) : file
    },
  )
  const thumbnail = handle(
    defineEndpoint({
      method: 'GET',
      paths: bases.map((base) => `${base}/thumbnail/:serverName/:mediaId`),
      auth,
      rateLimit: 'media_download',
      params: mediaParams,
      query: readThumbnailQuery,
    }),
    async ({ params, query, request }, services: MediaRouteServices) => {
      const file = await services.media.thumbnail(
        params.serverName,
        params.mediaId,
        query.request,
        {
          legacy,
          timeoutMs: query.timeoutMs,
          signal: request.signal,
        },
      )
      return file.ok ? ok(thumbnailResponse(file.value)) : file
    },
  )
  return [plain, named, thumbnail]
}

const previewUrl = handle(
  defineEndpoint({
    method: 'GET',
    paths: [`${CLIENT_V1}/preview_url`, `${MEDIA_V3}/preview_url`, `${MEDIA_R0}/preview_url`],
    auth: 'required',
    rateLimit: 'url_preview',
    query: (query) => ok({ url: query.get('url') ?? undefined }),
  }),
  async ({ query, requester, request }, services: MediaRouteServices) => {
    // Turned off, the endpoint is absent, as it is on servers that never built it.
    if (services.urlPreviews === undefined) return err(unrecognized(404))
    return services.urlPreviews.preview(query.url, requester, request.signal)
  },
)

/** The routes of the `media` listener resource. */
export const mediaRoutes: readonly Route<MediaRouteServices>[] = [
  uploadMedia,
  uploadToCreated,
  ...[createMedia, mediaConfig, ...downloadRoutes(false), ...downloadRoutes(true), previewUrl].map(
    (route) => secured(route),
  ),
]
