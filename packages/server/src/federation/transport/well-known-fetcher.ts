import { isIP } from 'node:net'
import { err, ok } from '@rhizome/core'
import type { Dispatcher } from 'undici'
import { isAllowedAddress } from './address-policy.js'
import type { RequestDispatcher } from './lazy-agent.js'
import { declaredLength, headerValue, readLimited } from './read-body.js'
import type { WellKnownFetcher } from './well-known.js'

export interface WellKnownFetcherOptions {
  /** Connects with the federation TLS settings and address policy (see federation-client.ts). */
  readonly dispatcher: Pick<RequestDispatcher, 'request'>
  /** Checked here for IP literals in redirects, which reach no DNS lookup. */
  readonly allowPrivateAddresses: boolean
  readonly timeoutMs?: number
  readonly maxBytes?: number
  /** 443 in production; tests serve the file on another port. */
  readonly port?: number
}

/** Enough for every sensible redirect chain; a longer one is treated as a loop. */
export const MAX_WELL_KNOWN_REDIRECTS = 5
/** The file is one short JSON object. */
export const MAX_WELL_KNOWN_BYTES = 64 * 1024
export const WELL_KNOWN_TIMEOUT_MS = 10_000

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * `GET https://<hostname>/.well-known/matrix/server` over the federation dispatcher, following
 * redirects to https URLs only, at most MAX_WELL_KNOWN_REDIRECTS of them and never to a URL
 * already visited.
 */
export function createWellKnownFetcher(options: WellKnownFetcherOptions): WellKnownFetcher {
  const timeoutMs = options.timeoutMs ?? WELL_KNOWN_TIMEOUT_MS
  const maxBytes = options.maxBytes ?? MAX_WELL_KNOWN_BYTES
  const port = options.port === undefined || options.port === 443 ? '' : `:${options.port}`
  return async (hostname) => {
    const signal = AbortSignal.timeout(timeoutMs)
    let url = new URL(`https://${hostname}${port}/.well-known/matrix/server`)
    const visited = new Set<string>()
    for (let hop = 0; hop <= MAX_WELL_KNOWN_REDIRECTS; hop++) {
      visited.add(url.href)
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      if (isIP(host) !== 0 && !isAllowedAddress(host, options.allowPrivateAddresses)) {
        return err(`${url.origin}: address not allowed`)
      }
      let response: Dispatcher.ResponseData
      try {
        response = await options.dispatcher.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'GET',
          headers: { accept: 'application/json' },
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
      } catch (e) {
        return err(`${url.origin}: ${e instanceof Error ? e.message : String(e)}`)
      }
      const location = headerValue(response.headers, 'location')
      if (REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        await discard(response.body)
        if (!URL.canParse(location, url.href)) return err('redirect to an invalid URL')
        const next = new URL(location, url)
        if (next.protocol !== 'https:') return err('redirect away from https')
        if (visited.has(next.href)) return err('redirect loop')
        url = next
        continue
      }
      if (response.statusCode !== 200) {
        await discard(response.body)
        return ok({ status: response.statusCode, body: '' })
      }
      const body = await readLimited(response.body, declaredLength(response.headers), maxBytes)
      if (!body.ok) {
        return err(body.error.kind === 'too_large' ? 'response too large' : body.error.message)
      }
      const cacheControl = headerValue(response.headers, 'cache-control')
      const expires = headerValue(response.headers, 'expires')
      const date = headerValue(response.headers, 'date')
      return ok({
        status: 200,
        body: body.value.toString('utf8'),
        ...(cacheControl === undefined ? {} : { cacheControl }),
        ...(expires === undefined ? {} : { expires }),
        ...(date === undefined ? {} : { date }),
      })
    }
    return err('too many redirects')
  }
}

async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump()
  } catch {
    // The body is not wanted; a broken connection only means there is nothing left to drain.
  }
}
