import { err, ok, type Result, type ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { FederationBytes, FederationFailure } from '../transport/federation-client.js'
import { toHttpError } from '../../http/errors.js'
import { createRemoteMediaFetcher, filenameOf } from './remote-media.js'

const ORIGIN = 'remote.example' as ServerName
const OPTIONS = { timeoutMs: 1000, maxBytes: 16 }

function fetcherAnswering(answer: Result<FederationBytes, FederationFailure>) {
  const paths: { path: string; query: unknown }[] = []
  const fetcher = createRemoteMediaFetcher({
    allowPrivateAddresses: false,
    requester: {
      requestBytes: (_destination, path, options) => {
        paths.push({ path, query: options.query })
        return Promise.resolve(answer)
      },
    },
  })
  return { fetcher, paths }
}

function multipart(media: string): FederationBytes {
  const body = ['--b', 'content-type: application/json', '', '{}', '--b', media, '--b--', ''].join(
    '\r\n',
  )
  return { status: 200, contentType: 'multipart/mixed; boundary=b', body: Buffer.from(body) }
}

describe('remote media', () => {
  it('asks for the download and the thumbnail with their parameters', async () => {
    const { fetcher, paths } = fetcherAnswering(
      ok(
        multipart(
          'content-type: image/png\r\ncontent-disposition: inline; filename="a.png"\r\n\r\npng',
        ),
      ),
    )
    const download = await fetcher.download(ORIGIN, 'abc', OPTIONS)
    expect(download.ok && Buffer.from(download.value.bytes).toString()).toBe('png')
    expect(download.ok && download.value.filename).toBe('a.png')
    await fetcher.thumbnail(
      ORIGIN,
      'abc',
      { width: 32, height: 24, method: 'crop', animated: false },
      OPTIONS,
    )
    expect(paths).toEqual([
      { path: '/_matrix/federation/v1/media/download/abc', query: { timeout_ms: '1000' } },
      {
        path: '/_matrix/federation/v1/media/thumbnail/abc',
        query: { width: '32', height: '24', method: 'crop', animated: 'false', timeout_ms: '1000' },
      },
    ])
  })

  it('turns failures into the errors a client should see', async () => {
    const cases: [Result<FederationBytes, FederationFailure>, number, string][] = [
      [
        err({ kind: 'http', status: 404, body: { errcode: 'M_NOT_FOUND' }, message: '' }),
        404,
        'M_NOT_FOUND',
      ],
      [
        err({ kind: 'http', status: 504, body: { errcode: 'M_NOT_YET_UPLOADED' }, message: '' }),
        504,
        'M_NOT_YET_UPLOADED',
      ],
      [err({ kind: 'http', status: 200, body: null, message: 'too large' }), 413, 'M_TOO_LARGE'],
      [err({ kind: 'unreachable', message: 'timed out' }), 502, 'M_UNKNOWN'],
      [ok({ status: 200, contentType: 'text/plain', body: Buffer.from('x') }), 502, 'M_UNKNOWN'],
      [ok(multipart('\r\n0123456789abcdefg')), 413, 'M_TOO_LARGE'],
      [ok(multipart('location: not a url\r\n')), 502, 'M_UNKNOWN'],
    ]
    for (const [answer, status, errcode] of cases) {
      const result = await fetcherAnswering(answer).fetcher.download(ORIGIN, 'abc', OPTIONS)
      expect(result.ok).toBe(false)
      if (result.ok) continue
      const sent = toHttpError(result.error)
      expect([sent.status, sent.body['errcode']]).toEqual([status, errcode])
    }
  })

  it('follows a Location only to public addresses unless allowed', async () => {
    const { fetcher } = fetcherAnswering(ok(multipart('location: http://127.0.0.1:9/media\r\n')))
    const result = await fetcher.download(ORIGIN, 'abc', OPTIONS)
    expect(!result.ok && toHttpError(result.error).status).toBe(502)
  })

  it('reads file names from Content-Disposition', () => {
    expect(filenameOf(undefined)).toBeUndefined()
    expect(filenameOf('inline')).toBeUndefined()
    expect(filenameOf('inline; filename="a \\"b\\".txt"')).toBe('a "b".txt')
    expect(filenameOf('attachment; filename=plain.bin')).toBe('plain.bin')
    expect(filenameOf("inline; filename*=utf-8''%C3%BCber.txt")).toBe('über.txt')
    expect(filenameOf('inline; filename*=utf-8\'\'%ZZ; filename="fallback"')).toBe('fallback')
  })
})
