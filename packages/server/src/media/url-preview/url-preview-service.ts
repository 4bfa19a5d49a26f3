import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import type { Requester } from '../../http/authenticate.js'
import { forbidden, serverError, type ServerError } from '../../http/errors.js'
import { mediaTypeEssence } from '../media-headers.js'
import type { MediaService } from '../media-service.js'
import { parseOpenGraph } from './open-graph.js'
import { fetchPublic, type FetchFailure, type Fetched, type FetchOptions } from './safe-fetch.js'

/** Only a page's head matters, and it comes first. */
const MAX_PAGE_BYTES = 1024 * 1024
const MAX_IMAGE_BYTES = 10 * 1024 * 1024
const FETCH_TIMEOUT_MS = 10_000
const CACHE_TTL_MS = 60 * 60 * 1000
const CACHE_ENTRIES = 1000

export type Fetcher = (url: URL, options: FetchOptions) => Promise<Result<Fetched, FetchFailure>>

export interface UrlPreviewDeps {
  readonly media: Pick<MediaService, 'storeFetched'>
  readonly allowPrivateAddresses: boolean
  readonly now: () => number
  readonly fetch?: Fetcher
}

/**
 * `preview_url` (client-server-api §Content repository): the OpenGraph data of a page, with its
 * image copied into the content repository as `mxc://` media. Pages are fetched only from public
 * addresses (safe-fetch.ts), and previews are kept for an hour, so a link posted in a busy room
 * is fetched once.
 */
export class UrlPreviewService {
  readonly #deps: UrlPreviewDeps
  readonly #fetch: Fetcher
  readonly #cache = new Map<string, { readonly expires: number; readonly value: JsonObject }>()

  constructor(deps: UrlPreviewDeps) {
    this.#deps = deps
    this.#fetch = deps.fetch ?? fetchPublic
  }

  async preview(
    rawUrl: string | undefined,
    requester: Requester,
    signal?: AbortSignal,
  ): Promise<Result<JsonObject, ServerError>> {
    if (rawUrl === undefined) return err(serverError('M_MISSING_PARAM', 'url is required'))
    if (!URL.canParse(rawUrl)) return err(serverError('M_INVALID_PARAM', 'url is not a URL'))
    const url = new URL(rawUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return err(serverError('M_INVALID_PARAM', 'Only http and https URLs can be previewed'))
    }
    url.hash = ''
    const key = url.href
    const now = this.#deps.now()
    const cached = this.#cache.get(key)
    if (cached !== undefined && cached.expires > now) return ok(cached.value)

    const page = await this.#fetch(url, this.#options(MAX_PAGE_BYTES, true, signal))
    if (!page.ok) return err(fetchError(page.error))
    const value = await this.#describe(page.value, requester, signal)
    this.#remember(key, value, now)
    return ok(value)
  }

  async #describe(page: Fetched, requester: Requester, signal?: AbortSignal): Promise<JsonObject> {
    const type = page.contentType === undefined ? '' : mediaTypeEssence(page.contentType)
    if (type.startsWith('image/')) {
      return this.#withImage({}, page, requester)
    }
    if (type !== 'text/html' && type !== 'application/xhtml+xml') return {}
    const og = parseOpenGraph(decode(page.body, page.contentType), page.url)
    const out: Record<string, string | number> = {}
    for (const [name, value] of og) {
      if (name !== 'og:image' && !name.startsWith('og:image:')) out[name] = value
    }
    const imageUrl = og.get('og:image')
    if (imageUrl === undefined) return out
    const image = await this.#fetch(
      new URL(imageUrl),
      this.#options(MAX_IMAGE_BYTES, false, signal),
    )
    if (!image.ok) return out
    return this.#withImage(out, image.value, requester)
  }

  async #withImage(
    out: Record<string, string | number>,
    image: Fetched,
    requester: Requester,
  ): Promise<JsonObject> {
    const type = image.contentType === undefined ? '' : mediaTypeEssence(image.contentType)
    if (!type.startsWith('image/')) return out
    const stored = await this.#deps.media.storeFetched(requester.userId, image.body, type)
    if (!stored.ok) return out
    const described: Record<string, string | number> = {
      ...out,
      'og:image': stored.value.contentUri,
      'og:image:type': type,
      'matrix:image:size': stored.value.size,
    }
    if (stored.value.width !== undefined) described['og:image:width'] = stored.value.width
    if (stored.value.height !== undefined) described['og:image:height'] = stored.value.height
    return described
  }

  #options(maxBytes: number, truncate: boolean, signal: AbortSignal | undefined): FetchOptions {
    return {
      allowPrivate: this.#deps.allowPrivateAddresses,
      maxBytes,
      truncate,
      timeoutMs: FETCH_TIMEOUT_MS,
      ...(signal === undefined ? {} : { signal }),
    }
  }

  #remember(key: string, value: JsonObject, now: number): void {
    if (this.#cache.size >= CACHE_ENTRIES) {
      for (const [k, entry] of this.#cache) {
        if (entry.expires <= now) this.#cache.delete(k)
      }
      // Still full of live entries: the oldest goes (a Map iterates in insertion order).
      const oldest = this.#cache.keys().next()
      if (this.#cache.size >= CACHE_ENTRIES && oldest.done !== true)
        this.#cache.delete(oldest.value)
    }
    this.#cache.set(key, { expires: now + CACHE_TTL_MS, value })
  }
}

function fetchError(failure: FetchFailure): ServerError {
  switch (failure.kind) {
    case 'blocked':
      return forbidden('URL previews of private or loopback addresses are not allowed')
    case 'too_large':
      return serverError('M_TOO_LARGE', 'The page is too large to preview', { status: 502 })
    case 'failed':
      return serverError('M_UNKNOWN', `Could not fetch the URL: ${failure.reason}`, {
        status: 502,
      })
  }
}

/** The page's text in the charset its Content-Type names, UTF-8 otherwise. */
function decode(body: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([A-Za-z0-9_.:-]+)/i.exec(contentType ?? '')?.[1]
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body)
  } catch {
    return new TextDecoder('utf-8').decode(body)
  }
}
