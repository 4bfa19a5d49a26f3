import { err, ok, type Result } from '@rhizome/core'

export type BodyProblem =
  { readonly kind: 'too_large' } | { readonly kind: 'failed'; readonly message: string }

/**
 * Reads a response body of at most `maxBytes`, stopping as soon as it is known to be larger: a
 * declared Content-Length is trusted only to refuse early, never to allow more.
 */
export async function readLimited(
  body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown },
  declaredLength: number | undefined,
  maxBytes: number,
): Promise<Result<Buffer, BodyProblem>> {
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    body.destroy()
    return err({ kind: 'too_large' })
  }
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      size += chunk.byteLength
      if (size > maxBytes) {
        body.destroy()
        return err({ kind: 'too_large' })
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    }
  } catch (e) {
    return err({ kind: 'failed', message: e instanceof Error ? e.message : String(e) })
  }
  return ok(Buffer.concat(chunks, size))
}

/** The single value of a response header, if it was sent exactly once. */
export function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name]
  return typeof value === 'string' ? value : undefined
}

/** A Content-Length header as a number, if it is a valid one. */
export function declaredLength(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): number | undefined {
  const value = headerValue(headers, 'content-length')
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  return Number(value)
}
