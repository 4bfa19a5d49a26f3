import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerName } from '@rhizome/core'
import sharp from 'sharp'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Storage } from '../storage/interface.js'
import { createMemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js'
import { FakeAuthenticate, type TestUser } from '../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { MediaFiles } from './media-files.js'
import { mediaRoutes, type MediaRouteServices } from './media-routes.js'
import { MAX_PENDING_UPLOADS, MediaService, UNUSED_MEDIA_LIFETIME_MS } from './media-service.js'
import { UrlPreviewService } from './url-preview/url-preview-service.js'

const SERVER = 'example.org' as ServerName
const V1 = '/_matrix/client/v1/media'
const V3 = '/_matrix/media/v3'
const LIMIT = 64 * 1024

interface Options {
  readonly freezeLegacyMedia?: boolean
  readonly urlPreviews?: 'off' | 'public-only' | 'allow-private'
  /** Uploads limited to a burst of 2 per user. */
  readonly rateLimited?: boolean
}

interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly bytes: Buffer
  readonly json: Record<string, unknown>
}

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 4, background: { r: 200, g: 30, b: 90, alpha: 0.5 } },
  })
    .png()
    .toBuffer()
}

async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({
        create: { width, height, channels: 3, background: { r: i * 80, g: 0, b: 255 } },
      })
        .png()
        .toBuffer(),
    ),
  )
  return sharp(pages, { join: { animated: true } })
    .gif({ loop: 0, delay: pages.map(() => 100) })
    .toBuffer()
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

for (const kind of roomTestStorages()) {
  describe(`media endpoints on ${kind.name}`, () => {
    const open = useRoomStorage(kind)
    const servers: TestServer[] = []
    afterEach(async () => {
      // A download's connection can still be finishing its response when closing begins, and
      // would then idle until its keep-alive timeout: the tests are over, so cut them all.
      await Promise.all(
        servers.splice(0).map((s) => {
          const closing = s.close()
          s.app.server.closeAllConnections()
          return closing
        }),
      )
    })

    async function start(options: Options = {}) {
      const storage: Storage = await open()
      const dir = mkdtempSync(join(tmpdir(), 'rhizome-media-'))
      dirs.push(dir)
      const clock = { now: 1_700_000_000_000 }
      const now = (): number => clock.now
      const media = new MediaService({
        store: storage.media,
        files: new MediaFiles(join(dir, 'media')),
        serverName: SERVER,
        config: { maxUploadSize: LIMIT, freezeLegacyMedia: options.freezeLegacyMedia ?? true },
        now,
      })
      const previews = options.urlPreviews ?? 'off'
      const services: MediaRouteServices = {
        media,
        urlPreviews:
          previews === 'off'
            ? undefined
            : new UrlPreviewService({
                media,
                allowPrivateAddresses: previews === 'allow-private',
                now,
              }),
      }
      const users = new FakeAuthenticate(storage)
      const server = await startTestServer({
        routes: [...mediaRoutes],
        services,
        authenticate: users.authenticate,
        ...(options.rateLimited === true
          ? {
              rateLimiter: createMemoryRateLimiter(
                { enabled: true, rules: { media_upload: { perSecond: 0.001, burstCount: 2 } } },
                now,
              ),
            }
          : {}),
      })
      servers.push(server)
      const call = async (
        method: string,
        path: string,
        user: TestUser | undefined,
        body?: Uint8Array | string,
        headers: Record<string, string> = {},
      ): Promise<Reply> => {
        const all: Record<string, string> = { ...headers }
        if (user !== undefined) all['authorization'] = `Bearer ${user.accessToken}`
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: all,
          ...(body === undefined ? {} : { body }),
        })
        const bytes = Buffer.from(await response.arrayBuffer())
        const type = response.headers.get('content-type') ?? ''
        const json = type.startsWith('application/json')
          ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
          : {}
        return { status: response.status, headers: response.headers, bytes, json }
      }
      const upload = async (
        user: TestUser,
        bytes: Uint8Array | string,
        contentType: string,
        filename?: string,
      ): Promise<string> => {
        const query = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`
        const reply = await call('POST', `${V3}/upload${query}`, user, bytes, {
          'content-type': contentType,
        })
        expect(reply.status, JSON.stringify(reply.json)).toBe(200)
        expectMatchesSpec(
          'client-server',
          'content-repo.yaml',
          'POST',
          '/_matrix/media/v3/upload',
          200,
          reply.json,
        )
        const uri = String(reply.json['content_uri'])
        expect(uri).toMatch(/^mxc:\/\/example\.org\/[A-Za-z0-9_-]+$/)
        return uri.slice('mxc://example.org/'.length)
      }
      return {
        storage,
        dir,
        clock,
        server,
        call,
        upload,
        user: (name: string) => users.user(name),
      }
    }

    function expectSafeHeaders(reply: Reply): void {
      expect(reply.headers.get('content-security-policy')).toContain('sandbox')
      expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(reply.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff')
    }

    it('uploads and downloads a file byte for byte, with safe headers', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const image = await png(40, 20)
      const id = await t.upload(alice, image, 'image/png', 'cat picture.png')

      const got = await t.call('GET', `${V1}/download/example.org/${id}`, alice)
      expect(got.status).toBe(200)
      expect(got.bytes.equals(image)).toBe(true)
      expect(got.headers.get('content-type')).toBe('image/png')
      expect(got.headers.get('content-length')).toBe(String(image.length))
      expect(got.headers.get('content-disposition')).toBe('inline; filename="cat picture.png"')
      expectSafeHeaders(got)

      const renamed = await t.call(
        'GET',
        `${V1}/download/example.org/${id}/r%C3%A9sum%C3%A9.png`,
        alice,
      )
      expect(renamed.bytes.equals(image)).toBe(true)
      expect(renamed.headers.get('content-disposition')).toBe(
        "inline; filename*=utf-8''r%C3%A9sum%C3%A9.png",
      )

      const head = await t.call('HEAD', `${V1}/download/example.org/${id}`, alice)
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(String(image.length))
      expect(head.bytes.length).toBe(0)

      const anonymous = await t.call('GET', `${V1}/download/example.org/${id}`, undefined)
      expect(anonymous.status).toBe(401)
      expect(anonymous.json['errcode']).toBe('M_MISSING_TOKEN')
      expectSafeHeaders(anonymous)
    })

    it('serves types that a browser could run as attachments', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const html = '<script>alert(1)</script>'
      const id = await t.upload(alice, html, 'text/html', 'evil"name.html')
      const got = await t.call('GET', `${V1}/download/example.org/${id}`, alice)
      expect(got.bytes.toString('utf8')).toBe(html)
      expect(got.headers.get('content-disposition')).toBe('attachment; filename="evil\\"name.html"')
      const svg = await t.upload(alice, '<svg/>', 'image/svg+xml')
      const gotSvg = await t.call('GET', `${V1}/download/example.org/${svg}`, alice)
      expect(gotSvg.headers.get('content-disposition')).toBe('attachment')
      const untyped = await t.call('POST', `${V3}/upload`, alice, Buffer.from('bytes'))
      expect(untyped.status).toBe(200)
      const untypedId = String(untyped.json['content_uri']).split('/').pop() ?? ''
      const gotUntyped = await t.call('GET', `${V1}/download/example.org/${untypedId}`, alice)
      expect(gotUntyped.headers.get('content-type')).toBe('application/octet-stream')
      expect(gotUntyped.headers.get('content-disposition')).toBe('attachment')
    })

    it('refuses uploads over the limit, by header or by count, and keeps nothing', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const big = Buffer.alloc(LIMIT + 1, 7)
      const declared = await t.call('POST', `${V3}/upload`, alice, big, {
        'content-type': 'application/octet-stream',
      })
      expect(declared.status).toBe(413)
      expect(declared.json['errcode']).toBe('M_TOO_LARGE')

      // Without a Content-Length (chunked), the bytes are counted as they arrive.
      const response = await fetch(`${t.server.url}${V3}/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}` },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(LIMIT / 4))
            controller.close()
          },
        }),
        duplex: 'half',
      })
      expect(response.status).toBe(413)
      expect(((await response.json()) as { errcode: string }).errcode).toBe('M_TOO_LARGE')
      const files = readdirSync(join(t.dir, 'media'), { recursive: true })
      expect(files.filter((f) => String(f).endsWith('.part'))).toEqual([])
      expect(files.filter((f) => /[0-9a-f]{64}$/.test(String(f)))).toEqual([])

      const exact = await t.call('POST', `${V3}/upload`, alice, Buffer.alloc(LIMIT, 1))
      expect(exact.status).toBe(200)
      const anonymous = await t.call('POST', `${V3}/upload`, undefined, 'x')
      expect(anonymous.status).toBe(401)
      expect(anonymous.json['errcode']).toBe('M_MISSING_TOKEN')
    })

    it('rate limits uploads and /create per user', async () => {
      const t = await start({ rateLimited: true })
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      await t.upload(alice, 'one', 'text/plain')
      expect((await t.call('POST', '/_matrix/media/v1/create', alice)).status).toBe(200)
      const limited = await t.call('POST', `${V3}/upload`, alice, Buffer.from('three'))
      expect(limited.status).toBe(429)
      expect(limited.json['errcode']).toBe('M_LIMIT_EXCEEDED')
      expect(limited.headers.get('retry-after')).not.toBeNull()
      await t.upload(bob, 'bob is not limited by alice', 'text/plain')
    })

    it('stores the same bytes once', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const a = await t.upload(alice, 'same bytes', 'text/plain')
      const b = await t.upload(alice, 'same bytes', 'text/plain', 'other.txt')
      expect(a).not.toBe(b)
      const files = readdirSync(join(t.dir, 'media'), { recursive: true }).filter((f) =>
        /[0-9a-f]{64}$/.test(String(f)),
      )
      expect(files).toHaveLength(1)
    })

    it('creates media IDs that only their creator fills, once', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const created = await t.call('POST', '/_matrix/media/v1/create', alice)
      expect(created.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'content-repo.yaml',
        'POST',
        '/_matrix/media/v1/create',
        200,
        created.json,
      )
      expect(created.json['unused_expires_at']).toBe(t.clock.now + UNUSED_MEDIA_LIFETIME_MS)
      const id = String(created.json['content_uri']).split('/').pop() ?? ''

      const early = await t.call('GET', `${V1}/download/example.org/${id}?timeout_ms=0`, alice)
      expect(early.status).toBe(504)
      expect(early.json['errcode']).toBe('M_NOT_YET_UPLOADED')

      const stolen = await t.call('PUT', `${V3}/upload/example.org/${id}`, bob, 'bob', {
        'content-type': 'text/plain',
      })
      expect(stolen.status).toBe(403)
      expect(stolen.json['errcode']).toBe('M_FORBIDDEN')

      // A download that waits sees the content as soon as it arrives.
      const waiting = t.call('GET', `${V1}/download/example.org/${id}?timeout_ms=10000`, bob)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const put = await t.call(
        'PUT',
        `${V3}/upload/example.org/${id}?filename=a.txt`,
        alice,
        'hello',
        {
          'content-type': 'text/plain',
        },
      )
      expect(put.status).toBe(200)
      expect(put.json).toEqual({})
      expectMatchesSpec(
        'client-server',
        'content-repo.yaml',
        'PUT',
        '/_matrix/media/v3/upload/{serverName}/{mediaId}',
        200,
        put.json,
      )
      const waited = await waiting
      expect(waited.status).toBe(200)
      expect(waited.bytes.toString('utf8')).toBe('hello')
      expect(waited.headers.get('content-disposition')).toBe('inline; filename="a.txt"')

      const again = await t.call('PUT', `${V3}/upload/example.org/${id}`, alice, 'again')
      expect(again.status).toBe(409)
      expect(again.json['errcode']).toBe('M_CANNOT_OVERWRITE_MEDIA')

      const unknown = await t.call('PUT', `${V3}/upload/example.org/nosuchid`, alice, 'x')
      expect(unknown.status).toBe(404)
      expect(unknown.json['errcode']).toBe('M_NOT_FOUND')
      const remote = await t.call('PUT', `${V3}/upload/elsewhere.example/${id}`, alice, 'x')
      expect(remote.status).toBe(404)
    })

    it('lets reserved IDs lapse and limits how many are pending', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const ids: string[] = []
      for (let i = 0; i < MAX_PENDING_UPLOADS; i++) {
        const created = await t.call('POST', '/_matrix/media/v1/create', alice)
        expect(created.status).toBe(200)
        ids.push(String(created.json['content_uri']).split('/').pop() ?? '')
      }
      const refused = await t.call('POST', '/_matrix/media/v1/create', alice)
      expect(refused.status).toBe(429)
      expect(refused.json['errcode']).toBe('M_LIMIT_EXCEEDED')
      expect(refused.json['retry_after_ms']).toBe(UNUSED_MEDIA_LIFETIME_MS)

      t.clock.now += UNUSED_MEDIA_LIFETIME_MS + 1
      const lapsed = await t.call('PUT', `${V3}/upload/example.org/${ids[0] ?? ''}`, alice, 'late')
      expect(lapsed.status).toBe(404)
      const gone = await t.call('GET', `${V1}/download/example.org/${ids[1] ?? ''}`, alice)
      expect(gone.status).toBe(404)
      expect((await t.call('POST', '/_matrix/media/v1/create', alice)).status).toBe(200)
    })

    it('answers 404 for remote, unknown and malformed media', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const id = await t.upload(alice, 'x', 'text/plain')
      for (const path of [
        `${V1}/download/other.example/${id}`,
        `${V1}/download/example.org/unknown`,
        `${V1}/download/example.org/bad.id`,
        `${V1}/download/not%20a%20server/${id}`,
        `${V1}/thumbnail/other.example/${id}?width=32&height=32`,
      ]) {
        const reply = await t.call('GET', path, alice)
        expect(reply.status, path).toBe(404)
        expect(reply.json['errcode'], path).toBe('M_NOT_FOUND')
      }
      await t.storage.media.setQuarantined(id, true)
      expect((await t.call('GET', `${V1}/download/example.org/${id}`, alice)).status).toBe(404)
    })

    it('serves the legacy endpoints only media from before the freeze', async () => {
      const before = await start({ freezeLegacyMedia: false })
      const alice = await before.user('alice')
      const image = await png(10, 10)
      const old = await before.upload(alice, image, 'image/png')
      const legacy = await before.call('GET', `${V3}/download/example.org/${old}`, undefined)
      expect(legacy.status).toBe(200)
      expect(legacy.bytes.equals(image)).toBe(true)
      expectSafeHeaders(legacy)
      const thumb = await before.call(
        'GET',
        `${V3}/thumbnail/example.org/${old}?width=5&height=5&method=crop`,
        undefined,
      )
      expect(thumb.status).toBe(200)

      const frozen = await start({ freezeLegacyMedia: true })
      const bob = await frozen.user('bob')
      const fresh = await frozen.upload(bob, image, 'image/png')
      for (const path of [
        `${V3}/download/example.org/${fresh}`,
        `${V3}/download/example.org/${fresh}/name.png`,
        `${V3}/thumbnail/example.org/${fresh}?width=5&height=5`,
      ]) {
        const reply = await frozen.call('GET', path, undefined)
        expect(reply.status, path).toBe(404)
        expect(reply.json['errcode']).toBe('M_NOT_FOUND')
      }
      const authed = await frozen.call('GET', `${V1}/download/example.org/${fresh}`, bob)
      expect(authed.status).toBe(200)
    })

    it('makes thumbnails once, never larger than the original', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const image = await png(200, 100)
      const id = await t.upload(alice, image, 'image/png')

      const crop = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${id}?width=32&height=32&method=crop`,
        alice,
      )
      expect(crop.status).toBe(200)
      expect(crop.headers.get('content-type')).toBe('image/png')
      expect(crop.headers.get('content-disposition')).toBe('inline; filename="thumbnail.png"')
      expectSafeHeaders(crop)
      const cropMeta = await sharp(crop.bytes).metadata()
      expect([cropMeta.width, cropMeta.height]).toEqual([32, 32])

      const scale = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${id}?width=64&height=64&method=scale`,
        alice,
      )
      const scaleMeta = await sharp(scale.bytes).metadata()
      expect([scaleMeta.width, scaleMeta.height]).toEqual([64, 32])

      const huge = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${id}?width=800&height=600`,
        alice,
      )
      expect(huge.bytes.equals(image)).toBe(true)

      const cached = await t.storage.media.getThumbnail({
        mediaId: id,
        width: 32,
        height: 32,
        method: 'crop',
        animated: false,
      })
      expect(cached?.contentType).toBe('image/png')
      const again = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${id}?width=32&height=32&method=crop`,
        alice,
      )
      expect(again.bytes.equals(crop.bytes)).toBe(true)

      const jpeg = await sharp(image).jpeg().toBuffer()
      const jpegId = await t.upload(alice, jpeg, 'image/jpeg')
      const jpegThumb = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${jpegId}?width=96&height=96&method=crop`,
        alice,
      )
      expect(jpegThumb.headers.get('content-type')).toBe('image/jpeg')
      expect((await sharp(jpegThumb.bytes).metadata()).format).toBe('jpeg')
    })

    it('keeps an animation only when asked for', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const gif = await animatedGif(60, 40, 3)
      const id = await t.upload(alice, gif, 'image/gif')
      const animated = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${id}?width=30&height=20&animated=true`,
        alice,
      )
      expect(animated.headers.get('content-type')).toBe('image/webp')
      expect((await sharp(animated.bytes, { animated: true }).metadata()).pages).toBe(3)
      // Even at the original's size, a still is made when no animation is asked for.
      for (const query of ['width=30&height=20', 'width=100&height=100&animated=false']) {
        const still = await t.call('GET', `${V1}/thumbnail/example.org/${id}?${query}`, alice)
        expect(still.headers.get('content-type')).toBe('image/png')
        expect((await sharp(still.bytes, { animated: true }).metadata()).pages ?? 1).toBe(1)
      }
    })

    it('refuses thumbnails it cannot make and bad parameters', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const text = await t.upload(alice, 'plain text', 'text/plain')
      const notImage = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${text}?width=32&height=32`,
        alice,
      )
      expect(notImage.status).toBe(400)
      const fake = await t.upload(alice, 'not really a png', 'image/png')
      const broken = await t.call(
        'GET',
        `${V1}/thumbnail/example.org/${fake}?width=32&height=32`,
        alice,
      )
      expect(broken.status).toBe(400)
      const image = await t.upload(alice, await png(10, 10), 'image/png')
      const cases: [string, string][] = [
        ['height=32', 'M_MISSING_PARAM'],
        ['width=0&height=32', 'M_INVALID_PARAM'],
        ['width=-3&height=32', 'M_INVALID_PARAM'],
        ['width=1.5&height=32', 'M_INVALID_PARAM'],
        ['width=32&height=32&method=stretch', 'M_INVALID_PARAM'],
        ['width=32&height=32&animated=yes', 'M_INVALID_PARAM'],
        ['width=32&height=32&timeout_ms=soon', 'M_INVALID_PARAM'],
      ]
      for (const [query, errcode] of cases) {
        const reply = await t.call('GET', `${V1}/thumbnail/example.org/${image}?${query}`, alice)
        expect(reply.status, query).toBe(400)
        expect(reply.json['errcode'], query).toBe(errcode)
      }
    })

    it('tells clients the upload limit', async () => {
      const t = await start()
      const alice = await t.user('alice')
      for (const path of [`${V1}/config`, `${V3}/config`]) {
        const reply = await t.call('GET', path, alice)
        expect(reply.json).toEqual({ 'm.upload.size': LIMIT })
        const file = path.startsWith(V1) ? 'authed-content-repo.yaml' : 'content-repo.yaml'
        const specPath = path.startsWith(V1)
          ? '/_matrix/client/v1/media/config'
          : '/_matrix/media/v3/config'
        expectMatchesSpec('client-server', file, 'GET', specPath, 200, reply.json)
        expect((await t.call('GET', path, undefined)).status).toBe(401)
      }
    })

    describe('URL previews', () => {
      let site: Server | undefined
      afterEach(async () => {
        await new Promise<void>((resolve) => {
          if (site === undefined) resolve()
          else
            site.close(() => {
              resolve()
            })
        })
        site = undefined
      })

      async function startSite(): Promise<string> {
        const logo = await png(48, 24)
        site = createServer((req, res) => {
          if (req.url === '/logo.png') {
            res.writeHead(200, { 'content-type': 'image/png' })
            res.end(logo)
          } else if (req.url === '/moved') {
            res.writeHead(302, { location: '/page' })
            res.end()
          } else {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
            res.end(`<html><head><title>Fallback</title>
              <meta property="og:title" content="Caf&#233; &amp; Bar &#x2603;">
              <meta property='og:description' content='A place'>
              <meta property="og:image" content="/logo.png">
              </head><body>hello</body></html>`)
          }
        })
        await new Promise<void>((resolve) => site?.listen(0, '127.0.0.1', resolve))
        const { port } = site.address() as AddressInfo
        return `http://127.0.0.1:${port}`
      }

      it('is absent when turned off', async () => {
        const t = await start({ urlPreviews: 'off' })
        const alice = await t.user('alice')
        const reply = await t.call('GET', `${V1}/preview_url?url=https%3A%2F%2Fexample.com`, alice)
        expect(reply.status).toBe(404)
        expect(reply.json['errcode']).toBe('M_UNRECOGNIZED')
      })

      it('refuses loopback and private addresses', async () => {
        const t = await start({ urlPreviews: 'public-only' })
        const alice = await t.user('alice')
        const base = await startSite()
        for (const url of [
          `${base}/page`,
          'http://localhost:1/',
          'http://[::1]:1/',
          'http://10.1.2.3/',
          'http://[::ffff:127.0.0.1]/',
        ]) {
          const reply = await t.call(
            'GET',
            `${V1}/preview_url?url=${encodeURIComponent(url)}`,
            alice,
          )
          expect(reply.status, url).toBe(403)
          expect(reply.json['errcode'], url).toBe('M_FORBIDDEN')
        }
        const anonymous = await t.call(
          'GET',
          `${V1}/preview_url?url=${encodeURIComponent(base)}`,
          undefined,
        )
        expect(anonymous.status).toBe(401)
        const bad = await t.call('GET', `${V1}/preview_url?url=file%3A%2F%2F%2Fetc%2Fpasswd`, alice)
        expect(bad.status).toBe(400)
        const missing = await t.call('GET', `${V1}/preview_url`, alice)
        expect(missing.json['errcode']).toBe('M_MISSING_PARAM')
      })

      it('previews a page with its OpenGraph data and image', async () => {
        const t = await start({ urlPreviews: 'allow-private' })
        const alice = await t.user('alice')
        const base = await startSite()
        const reply = await t.call(
          'GET',
          `${V1}/preview_url?url=${encodeURIComponent(`${base}/moved`)}`,
          alice,
        )
        expect(reply.status, JSON.stringify(reply.json)).toBe(200)
        expectMatchesSpec(
          'client-server',
          'authed-content-repo.yaml',
          'GET',
          '/_matrix/client/v1/media/preview_url',
          200,
          reply.json,
        )
        expect(reply.json).toMatchObject({
          'og:title': 'Café & Bar ☃',
          'og:description': 'A place',
          'og:image:type': 'image/png',
          'og:image:width': 48,
          'og:image:height': 24,
        })
        const mxc = String(reply.json['og:image'])
        expect(mxc).toMatch(/^mxc:\/\/example\.org\//)
        const image = await t.call(
          'GET',
          `${V1}/download/example.org/${mxc.split('/').pop() ?? ''}`,
          alice,
        )
        expect(image.status).toBe(200)
        expect(image.bytes.length).toBe(reply.json['matrix:image:size'])
        const legacy = await t.call(
          'GET',
          `${V3}/preview_url?url=${encodeURIComponent(`${base}/moved`)}`,
          alice,
        )
        expect(legacy.json).toEqual(reply.json)
      })
    })
  })
}
