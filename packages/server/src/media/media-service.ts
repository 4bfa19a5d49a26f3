import type { ReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { err, ok, type Result, type ServerName, type UserId } from '@rhizome/core'
import type { MediaConfig } from '../config/config.js'
import type { FetchedMedia, RemoteMediaFetcher } from '../federation/queries/remote-media.js'
import type { Requester } from '../http/authenticate.js'
import {
  forbidden,
  limitExceeded,
  notFound,
  serverError,
  tooLarge,
  type ServerError,
} from '../http/errors.js'
import type { StreamedBody } from '../http/raw-response.js'
import type {
  MediaContent,
  MediaRecord,
  MediaStore,
  MediaThumbnail,
  RemoteMedia,
} from '../storage/media-store.js'
import type { MediaFiles } from './media-files.js'
import { mxcUri, newMediaId } from './media-id.js'
import {
  canThumbnail,
  planThumbnail,
  probeImage,
  renderThumbnail,
  type ThumbnailPlan,
  type ThumbnailRequest,
} from './thumbnailer.js'
import { UploadWaiters } from './upload-waiters.js'

/** How long a media ID from `/create` waits for its content (Synapse's default too). */
export const UNUSED_MEDIA_LIFETIME_MS = 24 * 60 * 60 * 1000
/** Media IDs a user may hold from `/create` without content at once. */
export const MAX_PENDING_UPLOADS = 10
/** The longest a download waits for content still being uploaded, whatever timeout_ms says. */
export const MAX_DOWNLOAD_WAIT_MS = 60_000
/** How often a waiting download looks for content that another process stored. */
const WAIT_POLL_MS = 500
/** Longer file names are refused, and longer types dropped: they serve no one and bloat rows. */
const MAX_FILENAME_LENGTH = 1024
const MAX_CONTENT_TYPE_LENGTH = 255

export interface MediaServiceDeps {
  readonly store: MediaStore
  readonly files: MediaFiles
  readonly serverName: ServerName
  readonly config: Pick<MediaConfig, 'maxUploadSize' | 'freezeLegacyMedia'>
  readonly now: () => number
  /** Other servers' media, over federation; undefined when it is not fetched. */
  readonly remote?: RemoteMediaFetcher
}

export interface Upload {
  readonly body: StreamedBody
  /** The `filename` query parameter. */
  readonly filename: string | undefined
}

export interface ServeOptions {
  /** The deprecated unauthenticated endpoints, which serve only media from before the freeze. */
  readonly legacy: boolean
  /** How long to wait for content still being uploaded (`timeout_ms`). */
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

export interface ServedFile {
  readonly contentType: string
  readonly size: number
  readonly body: ReadStream
}

export interface ServedMedia extends ServedFile {
  readonly filename: string | undefined
}

/**
 * The content repository (client-server-api §Content repository): uploads in one request or in
 * two (`/create`, then `PUT`), downloads that wait a while for content still on its way, and
 * thumbnails made once and kept. Media on other servers is fetched over federation on first
 * request through the authenticated endpoints and kept (its thumbnails too, as the other server
 * made them); the deprecated unauthenticated endpoints do not fetch it.
 */
export class MediaService {
  readonly #deps: MediaServiceDeps
  readonly #waiters = new UploadWaiters()
  readonly #rendering = new Map<string, Promise<MediaThumbnail>>()
  /** One fetch per remote media (or thumbnail) at a time: concurrent requests share it. */
  readonly #fetching = new Map<string, Promise<Result<RemoteMedia, ServerError>>>()

  constructor(deps: MediaServiceDeps) {
    this.#deps = deps
  }

  get maxUploadSize(): number {
    return this.#deps.config.maxUploadSize
  }

  /** `POST /upload`: stores the body under a new media ID. */
  async upload(
    requester: Requester,
    upload: Upload,
  ): Promise<Result<{ content_uri: string }, ServerError>> {
    const meta = this.#checkUpload(upload)
    if (!meta.ok) return meta
    const content = await this.#receive(upload, meta.value)
    if (!content.ok) return content
    const mediaId = newMediaId()
    await this.#deps.store.addUploaded({
      mediaId,
      uploader: requester.userId,
      createdTs: this.#deps.now(),
      content: content.value,
    })
    return ok({ content_uri: mxcUri(this.#deps.serverName, mediaId) })
  }

  /**
   * Keeps bytes the server fetched for a user (a URL preview's image) as that user's media, with
   * the image's size when it can be read.
   */
  async storeFetched(
    uploader: UserId,
    bytes: Uint8Array,
    contentType: string,
  ): Promise<
    Result<{ contentUri: string; size: number; width?: number; height?: number }, ServerError>
  > {
    const content = await this.#receive(
      {
        body: { stream: Readable.from([bytes]), contentType, contentLength: bytes.byteLength },
        filename: undefined,
      },
      { contentType, filename: undefined },
    )
    if (!content.ok) return content
    const mediaId = newMediaId()
    await this.#deps.store.addUploaded({
      mediaId,
      uploader,
      createdTs: this.#deps.now(),
      content: content.value,
    })
    const contentUri = mxcUri(this.#deps.serverName, mediaId)
    const image = canThumbnail(contentType)
      ? await probeImage(this.#deps.files.pathOf(content.value.sha256))
      : undefined
    return ok(
      image?.ok === true
        ? {
            contentUri,
            size: content.value.size,
            width: image.value.width,
            height: image.value.height,
          }
        : { contentUri, size: content.value.size },
    )
  }

  /** `POST /create`: reserves a media ID whose content the same user uploads later. */
  async create(
    requester: Requester,
  ): Promise<Result<{ content_uri: string; unused_expires_at: number }, ServerError>> {
    const now = this.#deps.now()
    const pending = await this.#deps.store.pendingExpiries(requester.userId, now)
    if (pending.length >= MAX_PENDING_UPLOADS) {
      return err(limitExceeded(Math.max(0, (pending[0] ?? now) - now)))
    }
    const mediaId = newMediaId()
    const unusedExpiresTs = now + UNUSED_MEDIA_LIFETIME_MS
    await this.#deps.store.addPending({
      mediaId,
      uploader: requester.userId,
      createdTs: now,
      unusedExpiresTs,
    })
    return ok({
      content_uri: mxcUri(this.#deps.serverName, mediaId),
      unused_expires_at: unusedExpiresTs,
    })
  }

  /** `PUT /upload/{serverName}/{mediaId}`: the content of an ID reserved by `create`. */
  async uploadTo(
    requester: Requester,
    serverName: ServerName,
    mediaId: string,
    upload: Upload,
  ): Promise<Result<Record<string, never>, ServerError>> {
    const missing = notFound(
      'No media ID to upload to: create one with POST /_matrix/media/v1/create',
    )
    if (serverName !== this.#deps.serverName) return err(missing)
    const record = await this.#deps.store.get(mediaId)
    if (record === undefined || this.#lapsed(record)) return err(missing)
    if (record.uploader !== requester.userId) {
      return err(forbidden('Only the user who created this media ID may upload to it'))
    }
    if (record.content !== undefined) return err(cannotOverwrite())
    const meta = this.#checkUpload(upload)
    if (!meta.ok) return meta
    const content = await this.#receive(upload, meta.value)
    if (!content.ok) return content
    const outcome = await this.#deps.store.completeUpload(mediaId, content.value, this.#deps.now())
    if (outcome === 'already_uploaded') return err(cannotOverwrite())
    if (outcome === 'not_found') return err(missing)
    this.#waiters.announce(mediaId)
    return ok({})
  }

  /** The media's bytes, once uploaded; local media only. */
  async download(
    serverName: ServerName,
    mediaId: string,
    options: ServeOptions,
  ): Promise<Result<ServedMedia, ServerError>> {
    if (serverName !== this.#deps.serverName) {
      const kept = await this.#remote(serverName, mediaId, options, (remote, fetchOptions) =>
        remote.download(serverName, mediaId, fetchOptions),
      )
      if (!kept.ok) return kept
      const file = await this.#serveRemote(kept.value)
      return file.ok ? ok({ ...file.value, filename: kept.value.filename }) : file
    }
    const found = await this.#uploaded(serverName, mediaId, options)
    if (!found.ok) return found
    const { content } = found.value
    const body = await this.#deps.files.read(content.sha256)
    if (body === undefined) return err(notFound('The content of this media is missing'))
    return ok({
      contentType: content.contentType ?? 'application/octet-stream',
      size: content.size,
      body,
      filename: content.filename,
    })
  }

  /** A thumbnail of uploaded image media, made on first request and kept. */
  async thumbnail(
    serverName: ServerName,
    mediaId: string,
    request: ThumbnailRequest,
    options: ServeOptions,
  ): Promise<Result<ServedFile, ServerError>> {
    if (serverName !== this.#deps.serverName) {
      // Kept beside the media under an ID no media can have (':' is outside the alphabet).
      const key = `${mediaId}:thumbnail:${request.width}x${request.height}:${request.method}:${request.animated}`
      const kept = await this.#remote(serverName, key, options, (remote, fetchOptions) =>
        remote.thumbnail(serverName, mediaId, request, fetchOptions),
      )
      return kept.ok ? this.#serveRemote(kept.value) : kept
    }
    const found = await this.#uploaded(serverName, mediaId, options)
    if (!found.ok) return found
    const { content } = found.value
    const contentType = content.contentType
    if (contentType === undefined || !canThumbnail(contentType)) {
      return err(cannotThumbnail('This media is not an image this server can thumbnail'))
    }
    const source = this.#deps.files.pathOf(content.sha256)
    const image = await probeImage(source)
    if (!image.ok) {
      return err(
        image.error === 'too_large'
          ? tooLarge('The image is too large to thumbnail')
          : cannotThumbnail('The image cannot be read'),
      )
    }
    const plan = planThumbnail(image.value, request)
    if (plan.useOriginal) {
      const body = await this.#deps.files.read(content.sha256)
      if (body === undefined) return err(notFound('The content of this media is missing'))
      return ok({ contentType, size: content.size, body })
    }
    const key = {
      mediaId,
      width: plan.width,
      height: plan.height,
      method: plan.method,
      animated: plan.animated,
    }
    let thumbnail = await this.#deps.store.getThumbnail(key)
    let body = thumbnail && (await this.#deps.files.read(thumbnail.sha256))
    if (thumbnail === undefined || body === undefined) {
      try {
        thumbnail = await this.#render(mediaId, source, contentType, plan)
      } catch {
        return err(cannotThumbnail('The image cannot be thumbnailed'))
      }
      body = await this.#deps.files.read(thumbnail.sha256)
      if (body === undefined) return err(notFound('The thumbnail is missing'))
    }
    return ok({ contentType: thumbnail.contentType, size: thumbnail.size, body })
  }

  /** Another server's media as kept here, fetched first if it is not kept yet. */
  async #remote(
    origin: ServerName,
    key: string,
    options: ServeOptions,
    fetch: (
      remote: RemoteMediaFetcher,
      options: { timeoutMs: number; maxBytes: number; signal?: AbortSignal },
    ) => Promise<Result<FetchedMedia, ServerError>>,
  ): Promise<Result<RemoteMedia, ServerError>> {
    const { remote, store } = this.#deps
    if (options.legacy || remote === undefined) {
      return err(notFound('Media on other servers is only served through /_matrix/client/v1/media'))
    }
    const kept = await store.getRemote(origin, key)
    if (kept !== undefined) return ok(kept)
    const name = `${origin}/${key}`
    const running = this.#fetching.get(name)
    if (running !== undefined) return running
    const work = (async (): Promise<Result<RemoteMedia, ServerError>> => {
      const fetched = await fetch(remote, {
        // The other server waits for an upload as long as this one would have.
        timeoutMs: Math.min(Math.max(1000, options.timeoutMs), MAX_DOWNLOAD_WAIT_MS),
        maxBytes: this.maxUploadSize,
      })
      if (!fetched.ok) return fetched
      const stored = await this.#deps.files.store([fetched.value.bytes], this.maxUploadSize)
      if (!stored.ok) return err(uploadTooLarge(this.maxUploadSize))
      const type = fetched.value.contentType?.trim()
      const media: RemoteMedia = {
        origin,
        mediaId: key,
        contentType:
          type !== undefined &&
          type.length <= MAX_CONTENT_TYPE_LENGTH &&
          /^[\x21-\x7e][\x20-\x7e]*$/.test(type)
            ? type
            : undefined,
        filename: fetched.value.filename?.slice(0, MAX_FILENAME_LENGTH),
        size: stored.value.size,
        sha256: stored.value.sha256,
        fetchedTs: this.#deps.now(),
      }
      await store.addRemote(media)
      // A concurrent fetch in another process may have stored its copy first: serve that one.
      return ok((await store.getRemote(origin, key)) ?? media)
    })()
    this.#fetching.set(name, work)
    const forget = (): void => {
      this.#fetching.delete(name)
    }
    work.then(forget, forget)
    return work
  }

  async #serveRemote(media: RemoteMedia): Promise<Result<ServedFile, ServerError>> {
    const body = await this.#deps.files.read(media.sha256)
    if (body === undefined) return err(notFound('The content of this media is missing'))
    return ok({
      contentType: media.contentType ?? 'application/octet-stream',
      size: media.size,
      body,
    })
  }

  /** Forgets media IDs reserved by `create` that lapsed without content. */
  sweepLapsed(): Promise<number> {
    return this.#deps.store.deleteLapsed(this.#deps.now())
  }

  /** One rendering per thumbnail at a time: concurrent requests share it. */
  #render(
    mediaId: string,
    source: string,
    contentType: string,
    plan: ThumbnailPlan,
  ): Promise<MediaThumbnail> {
    const key = `${mediaId}/${plan.width}x${plan.height}/${plan.method}/${plan.animated}`
    const running = this.#rendering.get(key)
    if (running !== undefined) return running
    const work = (async () => {
      const rendered = await renderThumbnail(source, contentType, plan)
      const stored = await this.#deps.files.storeBytes(rendered.bytes)
      const thumbnail: MediaThumbnail = {
        mediaId,
        width: plan.width,
        height: plan.height,
        method: plan.method,
        animated: plan.animated,
        contentType: rendered.contentType,
        size: stored.size,
        sha256: stored.sha256,
        createdTs: this.#deps.now(),
      }
      await this.#deps.store.addThumbnail(thumbnail)
      return thumbnail
    })()
    this.#rendering.set(key, work)
    const forget = (): void => {
      this.#rendering.delete(key)
    }
    work.then(forget, forget)
    return work
  }

  /** The media's record once its content is there, waiting up to the timeout for it. */
  async #uploaded(
    serverName: ServerName,
    mediaId: string,
    options: ServeOptions,
  ): Promise<Result<MediaRecord & { readonly content: MediaContent }, ServerError>> {
    if (serverName !== this.#deps.serverName) {
      return err(notFound('Media on other servers is not available through this server yet'))
    }
    const waitMs = Math.min(Math.max(0, options.timeoutMs), MAX_DOWNLOAD_WAIT_MS)
    const deadline = Date.now() + waitMs
    for (;;) {
      const record = await this.#deps.store.get(mediaId)
      if (record === undefined || record.quarantined || this.#lapsed(record)) {
        return err(notFound('No such media'))
      }
      const content = record.content
      if (content !== undefined) {
        if (options.legacy && !content.legacyAccessible) {
          return err(
            notFound('This media is only available through /_matrix/client/v1/media endpoints'),
          )
        }
        return ok({ ...record, content })
      }
      const left = deadline - Date.now()
      if (left <= 0 || options.signal?.aborted === true) {
        return err(
          serverError('M_NOT_YET_UPLOADED', 'The content of this media has not been uploaded yet'),
        )
      }
      await this.#waiters.wait(mediaId, Math.min(left, WAIT_POLL_MS), options.signal)
    }
  }

  #lapsed(record: MediaRecord): boolean {
    return (
      record.content === undefined &&
      record.unusedExpiresTs !== undefined &&
      record.unusedExpiresTs < this.#deps.now()
    )
  }

  #checkUpload(
    upload: Upload,
  ): Result<{ contentType: string | undefined; filename: string | undefined }, ServerError> {
    const { body, filename } = upload
    if (body.contentLength !== undefined && body.contentLength > this.maxUploadSize) {
      return err(uploadTooLarge(this.maxUploadSize))
    }
    if (filename !== undefined && filename.length > MAX_FILENAME_LENGTH) {
      return err(
        serverError('M_INVALID_PARAM', `filename is longer than ${MAX_FILENAME_LENGTH} characters`),
      )
    }
    // A type the header cannot carry back is not kept: the media is served as octet-stream.
    const type = body.contentType?.trim()
    const contentType =
      type !== undefined &&
      type !== '' &&
      type.length <= MAX_CONTENT_TYPE_LENGTH &&
      /^[\x21-\x7e][\x20-\x7e]*$/.test(type)
        ? type
        : undefined
    return ok({ contentType, filename: filename === '' ? undefined : filename })
  }

  async #receive(
    upload: Upload,
    meta: { contentType: string | undefined; filename: string | undefined },
  ): Promise<Result<MediaContent, ServerError>> {
    const stored = await this.#deps.files.store(upload.body.stream, this.maxUploadSize)
    if (!stored.ok) {
      return err(
        stored.error.kind === 'too_large'
          ? uploadTooLarge(this.maxUploadSize)
          : serverError('M_UNKNOWN', 'The upload did not arrive whole', { status: 400 }),
      )
    }
    return ok({
      contentType: meta.contentType,
      filename: meta.filename,
      size: stored.value.size,
      sha256: stored.value.sha256,
      uploadedTs: this.#deps.now(),
      legacyAccessible: !this.#deps.config.freezeLegacyMedia,
    })
  }
}

function uploadTooLarge(limit: number): ServerError {
  return tooLarge(`The upload is larger than this server's limit of ${limit} bytes`)
}

function cannotOverwrite(): ServerError {
  return serverError('M_CANNOT_OVERWRITE_MEDIA', 'This media ID already has content')
}

function cannotThumbnail(error: string): ServerError {
  return serverError('M_UNKNOWN', error, { status: 400 })
}
