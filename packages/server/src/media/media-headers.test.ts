import { describe, expect, it } from 'vitest'
import { contentDisposition, isInlineSafe, mediaTypeEssence } from './media-headers.js'

describe('isInlineSafe', () => {
  it('allows only the spec list, whatever the case and parameters', () => {
    for (const type of [
      'image/png',
      'IMAGE/JPEG',
      'text/plain; charset=utf-8',
      'video/mp4',
      'audio/x-flac',
    ]) {
      expect(isInlineSafe(type), type).toBe(true)
    }
    for (const type of [
      'text/html',
      'image/svg+xml',
      'application/javascript',
      'application/pdf',
      'application/xhtml+xml',
      'text/xml',
      '',
      'image/png+evil',
    ]) {
      expect(isInlineSafe(type), type).toBe(false)
    }
    expect(mediaTypeEssence(' Text/CSV ;x=1')).toBe('text/csv')
  })
})

describe('contentDisposition', () => {
  it('quotes plain names and escapes quotes and backslashes', () => {
    expect(contentDisposition('inline', undefined)).toBe('inline')
    expect(contentDisposition('attachment', 'a b.txt')).toBe('attachment; filename="a b.txt"')
    expect(contentDisposition('inline', 'say "hi"\\.txt')).toBe(
      'inline; filename="say \\"hi\\"\\\\.txt"',
    )
  })

  it('encodes other names with filename* so that nothing breaks out of the header', () => {
    expect(contentDisposition('inline', 'café ☃.png')).toBe(
      "inline; filename*=utf-8''caf%C3%A9%20%E2%98%83.png",
    )
    expect(contentDisposition('inline', "it's (1)*.png\u00e9")).toBe(
      "inline; filename*=utf-8''it%27s%20%281%29%2A.png%C3%A9",
    )
    expect(contentDisposition('attachment', 'a\r\nSet-Cookie: x=1')).toBe(
      'attachment; filename="aSet-Cookie: x=1"',
    )
    expect(contentDisposition('attachment', '\u0000\u001f')).toBe('attachment')
  })
})
