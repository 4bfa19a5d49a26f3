/**
 * Serves the web app's built files (packages/web) at `/`, beside the API under `/_matrix`.
 *
 * - `index.html` (and anything else without a content hash in its name) must be revalidated on
 *   every load, so a new build reaches browsers at once.
 * - Vite names what it emits under `assets/` by content hash: those never change and are cached
 *   for a year.
 * - Every file carries a Content-Security-Policy for a single-page app that talks to any
 *   homeserver (`connect-src` over http(s)), runs WebAssembly for its end-to-end encryption and
 *   shows media it fetched itself (blob: URLs), and may not be framed.
 *
 * - A Brotli or gzip copy made by the build is sent to browsers that accept it.
 *
 * Only the files found at startup are served (one route each); anything else keeps the server's
 * 404 M_UNRECOGNIZED.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'

export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  'connect-src * data: blob:',
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

/** Where the web app's build is in this repository, from the server's compiled or source files. */
export function defaultWebClientDir(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../web/dist')
}

/** Whether `dir` holds a built web app. */
export function hasWebClient(dir: string): boolean {
  return existsSync(join(dir, 'index.html'))
}

export async function registerWebClient(app: FastifyInstance, dir: string): Promise<void> {
  // Loaded only by servers that serve the app.
  const { fastifyStatic } = await import('@fastify/static')
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'ignore',
    // The build writes .br and .gz copies (packages/web/scripts/compress.mjs): a browser that
    // accepts one gets it, the others the file as it is.
    preCompressed: true,
    setHeaders: (reply: FastifyReply, path: string) => {
      const hashed = path.startsWith(join(dir, 'assets'))
      reply.header('cache-control', hashed ? IMMUTABLE : REVALIDATE)
      reply.header('content-security-policy', WEB_CLIENT_CSP)
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'no-referrer')
    },
  })
}
