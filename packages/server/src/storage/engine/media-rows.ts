import type { ServerName, UserId } from '@rhizome/core'
import type { MediaContent, MediaRecord, MediaThumbnail, RemoteMedia } from '../media-store.js'

/** A media row as both dialects read it (SQLite flags are 0/1, PostgreSQL ones booleans). */
export interface MediaRow {
  readonly media_id: string
  readonly uploader: string
  readonly created_ts: number | string
  readonly unused_expires_ts: number | string | null
  readonly content_type: string | null
  readonly filename: string | null
  readonly size: number | string | null
  readonly sha256: string | null
  readonly uploaded_ts: number | string | null
  readonly legacy_accessible: number | boolean
  readonly quarantined: number | boolean
}

export const MEDIA_COLUMNS =
  'media_id, uploader, created_ts, unused_expires_ts, content_type, filename, size, sha256, ' +
  'uploaded_ts, legacy_accessible, quarantined'

/** The content columns in the order of MEDIA_CONTENT_COLUMNS. */
export const MEDIA_CONTENT_COLUMNS =
  'content_type, filename, size, sha256, uploaded_ts, legacy_accessible' as const

export function mediaContentValues(content: MediaContent): unknown[] {
  return [
    content.contentType ?? null,
    content.filename ?? null,
    content.size,
    content.sha256,
    content.uploadedTs,
    content.legacyAccessible,
  ]
}

export function mediaFromRow(row: MediaRow): MediaRecord {
  const content: MediaContent | undefined =
    row.sha256 === null
      ? undefined
      : {
          contentType: row.content_type ?? undefined,
          filename: row.filename ?? undefined,
          size: Number(row.size),
          sha256: row.sha256,
          uploadedTs: Number(row.uploaded_ts),
          legacyAccessible: Boolean(row.legacy_accessible),
        }
  return {
    mediaId: row.media_id,
    uploader: row.uploader as UserId,
    createdTs: Number(row.created_ts),
    unusedExpiresTs: row.unused_expires_ts === null ? undefined : Number(row.unused_expires_ts),
    content,
    quarantined: Boolean(row.quarantined),
  }
}

export interface ThumbnailRow {
  readonly media_id: string
  readonly width: number | string
  readonly height: number | string
  readonly method: string
  readonly animated: number | boolean
  readonly content_type: string
  readonly size: number | string
  readonly sha256: string
  readonly created_ts: number | string
}

export const THUMBNAIL_COLUMNS =
  'media_id, width, height, method, animated, content_type, size, sha256, created_ts' as const

export function thumbnailValues(t: MediaThumbnail): unknown[] {
  return [
    t.mediaId,
    t.width,
    t.height,
    t.method,
    t.animated,
    t.contentType,
    t.size,
    t.sha256,
    t.createdTs,
  ]
}

export function thumbnailFromRow(row: ThumbnailRow): MediaThumbnail {
  return {
    mediaId: row.media_id,
    width: Number(row.width),
    height: Number(row.height),
    method: row.method === 'crop' ? 'crop' : 'scale',
    animated: Boolean(row.animated),
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdTs: Number(row.created_ts),
  }
}

export interface RemoteMediaRow {
  readonly origin: string
  readonly media_id: string
  readonly content_type: string | null
  readonly filename: string | null
  readonly size: number | string
  readonly sha256: string
  readonly fetched_ts: number | string
}

export const REMOTE_MEDIA_COLUMNS =
  'origin, media_id, content_type, filename, size, sha256, fetched_ts' as const

export function remoteMediaValues(media: RemoteMedia): unknown[] {
  return [
    media.origin,
    media.mediaId,
    media.contentType ?? null,
    media.filename ?? null,
    media.size,
    media.sha256,
    media.fetchedTs,
  ]
}

export function remoteMediaFromRow(row: RemoteMediaRow): RemoteMedia {
  return {
    origin: row.origin as ServerName,
    mediaId: row.media_id,
    contentType: row.content_type ?? undefined,
    filename: row.filename ?? undefined,
    size: Number(row.size),
    sha256: row.sha256,
    fetchedTs: Number(row.fetched_ts),
  }
}
