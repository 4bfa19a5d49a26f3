/**
 * The headers that make served media safe to open in a browser: a sandboxing
 * Content-Security-Policy (client-server-api §Content repository), cross-origin reads allowed
 * (v1.4), no MIME sniffing, and a Content-Disposition that shows content inline only for types a
 * browser cannot run as a page (§Serving inline content).
 */

export const MEDIA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; " +
    "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  'cross-origin-resource-policy': 'cross-origin',
  'x-content-type-options': 'nosniff',
}

/** The spec's list of types that are safe to serve inline. SVG is not: it can carry scripts. */
const INLINE_TYPES: ReadonlySet<string> = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
])

/** The type without its parameters, lowercased: `Text/Plain; charset=utf-8` is `text/plain`. */
export function mediaTypeEssence(contentType: string): string {
  const semicolon = contentType.indexOf(';')
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(mediaTypeEssence(contentType))
}

/**
 * A Content-Disposition value (RFC 6266). A plain ASCII name goes in a quoted `filename`; every
 * other in `filename*` (RFC 8187 UTF-8 percent-encoding), which needs no quoting, so no name can
 * break out of the header. Control characters never reach the header.
 */
export function contentDisposition(
  disposition: 'inline' | 'attachment',
  filename: string | undefined,
): string {
  if (filename === undefined) return disposition
  // eslint-disable-next-line no-control-regex
  const clean = filename.replace(/[\u0000-\u001f\u007f]/g, '')
  if (clean === '') return disposition
  if (/^[\x20-\x7e]*$/.test(clean)) {
    return `${disposition}; filename="${clean.replace(/["\\]/g, '\\$&')}"`
  }
  return `${disposition}; filename*=utf-8''${encodeRfc8187(clean)}`
}

/** Percent-encodes all but RFC 8187's attr-char set. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
