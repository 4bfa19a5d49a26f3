import type { ServerName, UserId } from '@rhizome/core'
import type {
  CompleteUploadOutcome,
  MediaContent,
  MediaRecord,
  MediaStore,
  MediaThumbnail,
  RemoteMedia,
  ThumbnailKey,
} from '../media-store.js'
import {
  MEDIA_COLUMNS,
  MEDIA_CONTENT_COLUMNS,
  mediaContentValues,
  mediaFromRow,
  REMOTE_MEDIA_COLUMNS,
  remoteMediaFromRow,
  remoteMediaValues,
  THUMBNAIL_COLUMNS,
  thumbnailFromRow,
  thumbnailValues,
  type MediaRow,
  type RemoteMediaRow,
  type ThumbnailRow,
} from '../engine/media-rows.js'
import { settle, sqlBool, type SqliteStatements } from './sqlite-statements.js'

/** SQLite binds no booleans: flags become 0 and 1. */
function bindable(values: readonly unknown[]): unknown[] {
  return values.map((v) => (typeof v === 'boolean' ? sqlBool(v) : v))
}

export class SqliteMediaStore implements MediaStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  addUploaded(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly content: MediaContent
  }): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO media (media_id, uploader, created_ts, ${MEDIA_CONTENT_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        media.mediaId,
        media.uploader,
        media.createdTs,
        ...bindable(mediaContentValues(media.content)),
      )
    })
  }

  addPending(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly unusedExpiresTs: number
  }): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO media (media_id, uploader, created_ts, unused_expires_ts, legacy_accessible)
         VALUES (?, ?, ?, ?, 0)`,
        media.mediaId,
        media.uploader,
        media.createdTs,
        media.unusedExpiresTs,
      )
    })
  }

  completeUpload(
    mediaId: string,
    content: MediaContent,
    now: number,
  ): Promise<CompleteUploadOutcome> {
    return settle(() =>
      this.#q.db.transaction((): CompleteUploadOutcome => {
        const row = this.#q.one<{ sha256: string | null; unused_expires_ts: number | null }>(
          'SELECT sha256, unused_expires_ts FROM media WHERE media_id = ?',
          mediaId,
        )
        if (row === undefined) return 'not_found'
        if (row.sha256 !== null) return 'already_uploaded'
        if (row.unused_expires_ts !== null && row.unused_expires_ts < now) return 'not_found'
        this.#q.run(
          `UPDATE media SET content_type = ?, filename = ?, size = ?, sha256 = ?, uploaded_ts = ?,
             legacy_accessible = ?, unused_expires_ts = NULL
           WHERE media_id = ?`,
          ...bindable(mediaContentValues(content)),
          mediaId,
        )
        return 'stored'
      })(),
    )
  }

  get(mediaId: string): Promise<MediaRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<MediaRow>(
        `SELECT ${MEDIA_COLUMNS} FROM media WHERE media_id = ?`,
        mediaId,
      )
      return row && mediaFromRow(row)
    })
  }

  pendingExpiries(uploader: UserId, now: number): Promise<readonly number[]> {
    return settle(() =>
      this.#q
        .all<{ unused_expires_ts: number }>(
          `SELECT unused_expires_ts FROM media
           WHERE uploader = ? AND sha256 IS NULL AND unused_expires_ts >= ?
           ORDER BY unused_expires_ts`,
          uploader,
          now,
        )
        .map((row) => row.unused_expires_ts),
    )
  }

  deleteLapsed(now: number): Promise<number> {
    return settle(() =>
      this.#q.run('DELETE FROM media WHERE sha256 IS NULL AND unused_expires_ts < ?', now),
    )
  }

  setQuarantined(mediaId: string, quarantined: boolean): Promise<boolean> {
    return settle(
      () =>
        this.#q.run(
          'UPDATE media SET quarantined = ? WHERE media_id = ?',
          sqlBool(quarantined),
          mediaId,
        ) > 0,
    )
  }

  getThumbnail(key: ThumbnailKey): Promise<MediaThumbnail | undefined> {
    return settle(() => {
      const row = this.#q.one<ThumbnailRow>(
        `SELECT ${THUMBNAIL_COLUMNS} FROM media_thumbnails
         WHERE media_id = ? AND width = ? AND height = ? AND method = ? AND animated = ?`,
        key.mediaId,
        key.width,
        key.height,
        key.method,
        sqlBool(key.animated),
      )
      return row && thumbnailFromRow(row)
    })
  }

  addThumbnail(thumbnail: MediaThumbnail): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO media_thumbnails (${THUMBNAIL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        ...bindable(thumbnailValues(thumbnail)),
      )
    })
  }

  getRemote(origin: ServerName, mediaId: string): Promise<RemoteMedia | undefined> {
    return settle(() => {
      const row = this.#q.one<RemoteMediaRow>(
        `SELECT ${REMOTE_MEDIA_COLUMNS} FROM remote_media WHERE origin = ? AND media_id = ?`,
        origin,
        mediaId,
      )
      return row && remoteMediaFromRow(row)
    })
  }

  addRemote(media: RemoteMedia): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO remote_media (${REMOTE_MEDIA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        ...remoteMediaValues(media),
      )
    })
  }
}
