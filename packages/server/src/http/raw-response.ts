import type { Readable } from 'node:stream'

/**
 * A response that is not JSON (media bytes, thumbnails): a route returns one in place of a JSON
 * object, and the HTTP layer sends its status, headers and body as they are.
 */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Readable | Uint8Array,
  ) {}
}

/** A request body handed to a route as a stream, unread (uploads, which can be large). */
export interface StreamedBody {
  readonly stream: Readable
  readonly contentType: string | undefined
  /** The Content-Length header, when the client sent a valid one. */
  readonly contentLength: number | undefined
}
