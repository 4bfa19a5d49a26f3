import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { multipartMedia, parseMultipartMedia } from './media-multipart.js'

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const CRLF = '\r\n'

describe('multipart media', () => {
  it('builds a body whose declared length is its length, and reads it back', async () => {
    const bytes = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255, 254])
    const built = multipartMedia({
      contentType: 'application/octet-stream',
      contentDisposition: 'attachment; filename="x.bin"',
      size: bytes.byteLength,
      body: Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]),
    })
    const body = await collect(built.body)
    expect(body.byteLength).toBe(built.contentLength)
    expect(built.contentType).toMatch(/^multipart\/mixed; boundary=[0-9a-f]{32}$/)
    const parsed = parseMultipartMedia(built.contentType, body)
    if (!parsed.ok || parsed.value.kind !== 'bytes') throw new Error(JSON.stringify(parsed))
    expect(Buffer.from(parsed.value.bytes)).toEqual(bytes)
    expect(parsed.value.contentType).toBe('application/octet-stream')
    expect(parsed.value.contentDisposition).toBe('attachment; filename="x.bin"')
  })

  it('reads a Location part, quoted boundaries, a preamble and an epilogue', () => {
    const body = [
      'preamble to ignore',
      '--b o',
      'Content-Type: application/json',
      '',
      '{"some":"metadata"}',
      '--b o',
      'Location: https://cdn.example/media/1',
      '',
      '',
      '--b o--',
      'epilogue',
    ].join(CRLF)
    expect(parseMultipartMedia('multipart/mixed; boundary="b o"', Buffer.from(body))).toEqual({
      ok: true,
      value: { kind: 'location', location: 'https://cdn.example/media/1' },
    })
  })

  it('refuses what is not the two parts the spec describes', () => {
    const json = ['--x', 'content-type: application/json', '', '{}'].join(CRLF)
    const cases: [string, string][] = [
      ['application/json', '{}'],
      ['multipart/mixed', json],
      ['multipart/mixed; boundary=x', 'no delimiter at all'],
      ['multipart/mixed; boundary=x', `${json}${CRLF}--x--${CRLF}`],
      [
        'multipart/mixed; boundary=x',
        `${json}${CRLF}--x${CRLF}content-type: text/plain${CRLF}${CRLF}unterminated`,
      ],
      [
        'multipart/mixed; boundary=x',
        ['--x', 'content-type: text/plain', '', 'not json', '--x', '', 'bytes', '--x--'].join(CRLF),
      ],
      [
        'multipart/mixed; boundary=x',
        ['--x', 'no colon here', '', '{}', '--x', '', 'b', '--x--'].join(CRLF),
      ],
    ]
    for (const [type, body] of cases) {
      expect(parseMultipartMedia(type, Buffer.from(body)).ok, `${type} ${body}`).toBe(false)
    }
  })
})
