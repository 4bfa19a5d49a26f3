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
import type { Queryable } from './postgres-connection.js'

export class PostgresMediaStore implements MediaStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async addUploaded(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly content: MediaContent
  }): Promise<void> {
    await this.#db.query(
      `INSERT INTO media (media_id, uploader, created_ts, ${MEDIA_CONTENT_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [media.mediaId, media.uploader, media.createdTs, ...mediaContentValues(media.content)],
    )
  }

  async addPending(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly unusedExpiresTs: number
  }): Promise<void> {
    await this.#db.query(
      `INSERT INTO media (media_id, uploader, created_ts, unused_expires_ts, legacy_accessible)
       VALUES ($1, $2, $3, $4, FALSE)`,
      [media.mediaId, media.uploader, media.createdTs, media.unusedExpiresTs],
    )
  }

  async completeUpload(
    mediaId: string,
    content: MediaContent,
    now: number,
  ): Promise<CompleteUploadOutcome> {
    // One conditional UPDATE, so that two racing uploads cannot both store content.
    const updated = await this.#db.query(
      `UPDATE media SET content_type = $2, filename = $3, size = $4, sha256 = $5, uploaded_ts = $6,
         legacy_accessible = $7, unused_expires_ts = NULL
       WHERE media_id = $1 AND sha256 IS NULL
         AND (unused_expires_ts IS NULL OR unused_expires_ts >= $8)`,
      [mediaId, ...mediaContentValues(content), now],
    )
    if ((updated.rowCount ?? 0) > 0) return 'stored'
    const { rows } = await this.#db.query<{ sha256: string | null }>(
      'SELECT sha256 FROM media WHERE media_id = $1',
      [mediaId],
    )
    const row = rows[0]
    return row !== undefined && row.sha256 !== null ? 'already_uploaded' : 'not_found'
  }

  async get(mediaId: string): Promise<MediaRecord | undefined> {
    const { rows } = await this.#db.query<MediaRow>(
      `SELECT ${MEDIA_COLUMNS} FROM media WHERE media_id = $1`,
      [mediaId],
    )
    const row = rows[0]
    return row && mediaFromRow(row)
  }

  async pendingExpiries(uploader: UserId, now: number): Promise<readonly number[]> {
    const { rows } = await this.#db.query<{ unused_expires_ts: string }>(
      `SELECT unused_expires_ts FROM media
       WHERE uploader = $1 AND sha256 IS NULL AND unused_expires_ts >= $2
       ORDER BY unused_expires_ts`,
      [uploader, now],
    )
    return rows.map((row) => Number(row.unused_expires_ts))
  }

  async deleteLapsed(now: number): Promise<number> {
    const result = await this.#db.query(
      'DELETE FROM media WHERE sha256 IS NULL AND unused_expires_ts < $1',
      [now],
    )
    return result.rowCount ?? 0
  }

  async setQuarantined(mediaId: string, quarantined: boolean): Promise<boolean> {
    const result = await this.#db.query('UPDATE media SET quarantined = $2 WHERE media_id = $1', [
      mediaId,
      quarantined,
    ])
    return (result.rowCount ?? 0) > 0
  }

  async getThumbnail(key: ThumbnailKey): Promise<MediaThumbnail | undefined> {
    const { rows } = await this.#db.query<ThumbnailRow>(
      `SELECT ${THUMBNAIL_COLUMNS} FROM media_thumbnails
       WHERE media_id = $1 AND width = $2 AND height = $3 AND method = $4 AND animated = $5`,
      [key.mediaId, key.width, key.height, key.method, key.animated],
    )
    const row = rows[0]
    return row && thumbnailFromRow(row)
  }

  async addThumbnail(thumbnail: MediaThumbnail): Promise<void> {
    await this.#db.query(
      `INSERT INTO media_thumbnails (${THUMBNAIL_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      thumbnailValues(thumbnail),
    )
  }

  async getRemote(origin: ServerName, mediaId: string): Promise<RemoteMedia | undefined> {
    const { rows } = await this.#db.query<RemoteMediaRow>(
      `SELECT ${REMOTE_MEDIA_COLUMNS} FROM remote_media WHERE origin = $1 AND media_id = $2`,
      [origin, mediaId],
    )
    const row = rows[0]
    return row && remoteMediaFromRow(row)
  }

  async addRemote(media: RemoteMedia): Promise<void> {
    await this.#db.query(
      `INSERT INTO remote_media (${REMOTE_MEDIA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING`,
      remoteMediaValues(media),
    )
  }
}
