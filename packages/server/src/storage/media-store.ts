import type { ServerName, UserId } from '@rhizome/core'

/**
 * The metadata of the content repository (client-server-api §Content repository). The bytes live
 * on disk, named by their SHA-256 (media/media-files.ts); a row says which media ID points at
 * which bytes, who uploaded them and how they may be served.
 */
export interface MediaContent {
  /** As the uploader's Content-Type header gave it; undefined when it had none. */
  readonly contentType: string | undefined
  /** The `filename` query parameter of the upload, if one was given. */
  readonly filename: string | undefined
  readonly size: number
  /** Lowercase hex; also the file's name in the content store. */
  readonly sha256: string
  readonly uploadedTs: number
  /**
   * Uploaded while the unauthenticated download endpoints still served new media: only such
   * media stays reachable through them once they are frozen.
   */
  readonly legacyAccessible: boolean
}

export interface MediaRecord {
  readonly mediaId: string
  readonly uploader: UserId
  readonly createdTs: number
  /** When a media ID made by `/create` lapses unless its content arrives first. */
  readonly unusedExpiresTs: number | undefined
  /** Undefined until the content is uploaded. */
  readonly content: MediaContent | undefined
  /** Withheld from every download by an administrator. */
  readonly quarantined: boolean
}

export type CompleteUploadOutcome = 'stored' | 'not_found' | 'already_uploaded'

/** One cached thumbnail: the size and method it was made for, and where its bytes are. */
export interface MediaThumbnail {
  readonly mediaId: string
  readonly width: number
  readonly height: number
  readonly method: 'crop' | 'scale'
  readonly animated: boolean
  readonly contentType: string
  readonly size: number
  readonly sha256: string
  readonly createdTs: number
}

export type ThumbnailKey = Pick<
  MediaThumbnail,
  'mediaId' | 'width' | 'height' | 'method' | 'animated'
>

/** Media of another server, fetched over federation and kept here. */
export interface RemoteMedia {
  readonly origin: ServerName
  readonly mediaId: string
  readonly contentType: string | undefined
  readonly filename: string | undefined
  readonly size: number
  readonly sha256: string
  readonly fetchedTs: number
}

export interface MediaStore {
  /** Records media whose content is already stored (a plain upload). */
  addUploaded(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly content: MediaContent
  }): Promise<void>
  /** Reserves a media ID whose content comes later (`POST /create`). */
  addPending(media: {
    readonly mediaId: string
    readonly uploader: UserId
    readonly createdTs: number
    readonly unusedExpiresTs: number
  }): Promise<void>
  /**
   * Attaches content to a pending media ID, once: a second upload finds it `already_uploaded`,
   * and an ID that was never reserved, or lapsed before `now`, is `not_found`.
   */
  completeUpload(
    mediaId: string,
    content: MediaContent,
    now: number,
  ): Promise<CompleteUploadOutcome>
  get(mediaId: string): Promise<MediaRecord | undefined>
  /** The user's reserved IDs that have neither content nor lapsed at `now`, oldest first. */
  pendingExpiries(uploader: UserId, now: number): Promise<readonly number[]>
  /** Forgets reserved IDs that lapsed before `now` without content; returns how many. */
  deleteLapsed(now: number): Promise<number>
  setQuarantined(mediaId: string, quarantined: boolean): Promise<boolean>
  getThumbnail(key: ThumbnailKey): Promise<MediaThumbnail | undefined>
  /** Keeps the first thumbnail stored for a key: a concurrent second one is dropped. */
  addThumbnail(thumbnail: MediaThumbnail): Promise<void>
  /** The kept copy of another server's media, if it was fetched before. */
  getRemote(origin: ServerName, mediaId: string): Promise<RemoteMedia | undefined>
  /** Keeps the first copy stored for a media ID: a concurrent second one is dropped. */
  addRemote(media: RemoteMedia): Promise<void>
}
