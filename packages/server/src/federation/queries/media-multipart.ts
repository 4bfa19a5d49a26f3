/**
 * The `multipart/mixed` body of federation media downloads (server-server-api §Content
 * Repository): a JSON part (metadata, `{}` for now) and then the media, either as bytes with
 * their own Content-Type and Content-Disposition or as a `Location` header to fetch them from.
 */
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { err, ok, type Result } from '@rhizome/core'

export interface MultipartMedia {
  /** `multipart/mixed; boundary=...` */
  readonly contentType: string
  readonly contentLength: number
  readonly body: Readable
}

/** Builds the body around the media's bytes, streamed as they are read. */
export function multipartMedia(media: {
  readonly contentType: string
  readonly contentDisposition: string
  readonly size: number
  readonly body: Readable
}): MultipartMedia {
  const boundary = randomBytes(16).toString('hex')
  const head = Buffer.from(
    `--${boundary}\r\ncontent-type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\ncontent-type: ${media.contentType}\r\n` +
      `content-disposition: ${media.contentDisposition}\r\n\r\n`,
    'latin1',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1')
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield head
    for await (const chunk of media.body as AsyncIterable<Uint8Array>) yield chunk
    yield tail
  }
  return {
    contentType: `multipart/mixed; boundary=${boundary}`,
    contentLength: head.byteLength + media.size + tail.byteLength,
    body: Readable.from(parts(), { objectMode: false }),
  }
}

/** The media part of a response: its bytes and headers, or where to fetch it instead. */
export type MediaPart =
  | {
      readonly kind: 'bytes'
      readonly contentType: string | undefined
      readonly contentDisposition: string | undefined
      readonly bytes: Uint8Array
    }
  | { readonly kind: 'location'; readonly location: string }

/** RFC 2046's boundary: 1 to 70 characters of a limited set, possibly quoted. */
const BOUNDARY =
  /;\s*boundary=(?:"([0-9A-Za-z'()+_,./:=? -]{1,70})"|([0-9A-Za-z'()+_,./:=?-]{1,70}))/i

/**
 * Reads a whole `multipart/mixed` response: the first part must be JSON (its content is not
 * used yet) and the second is the media. Anything else is a message saying what is wrong.
 */
export function parseMultipartMedia(
  contentType: string,
  body: Uint8Array,
): Result<MediaPart, string> {
  if (!/^multipart\/mixed\s*(;|$)/i.test(contentType)) {
    return err(`expected multipart/mixed, got ${contentType}`)
  }
  const match = BOUNDARY.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (boundary === undefined) return err('multipart/mixed without a boundary')
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`--${boundary}`, 'latin1')
  const parts: Buffer[] = []
  let at = buffer.indexOf(delimiter)
  if (at < 0) return err('no part starts in the body')
  for (;;) {
    const start = at + delimiter.byteLength
    if (buffer.subarray(start, start + 2).toString('latin1') === '--') break
    const next = buffer.indexOf(Buffer.from(`\r\n--${boundary}`, 'latin1'), start)
    if (next < 0) return err('a part does not end')
    // The line break after the delimiter (and transport padding before it) is not content.
    const lineEnd = buffer.indexOf('\r\n', start)
    if (lineEnd < 0 || lineEnd > next) return err('a delimiter line does not end')
    parts.push(buffer.subarray(lineEnd + 2, next))
    at = next + 2
  }
  if (parts.length < 2) return err(`expected two parts, got ${parts.length}`)
  const [first, second] = parts
  if (first === undefined || second === undefined) return err('missing part')
  const json = splitPart(first)
  if (!json.ok) return json
  if (!/^application\/json\s*(;|$)/i.test(json.value.headers.get('content-type') ?? '')) {
    return err('the first part is not JSON')
  }
  const media = splitPart(second)
  if (!media.ok) return media
  const location = media.value.headers.get('location')
  if (location !== undefined) return ok({ kind: 'location', location })
  return ok({
    kind: 'bytes',
    contentType: media.value.headers.get('content-type'),
    contentDisposition: media.value.headers.get('content-disposition'),
    bytes: media.value.content,
  })
}

function splitPart(
  part: Buffer,
): Result<{ headers: ReadonlyMap<string, string>; content: Uint8Array }, string> {
  // A part with no headers starts with the blank line at once.
  const end = part.subarray(0, 2).toString('latin1') === '\r\n' ? 0 : part.indexOf('\r\n\r\n')
  if (end < 0) return err('a part has no end to its headers')
  const headers = new Map<string, string>()
  const text = part.subarray(0, end).toString('latin1')
  for (const line of text === '' ? [] : text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) return err(`a malformed part header: ${line.slice(0, 80)}`)
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return ok({ headers, content: part.subarray(end === 0 ? 2 : end + 4) })
}
