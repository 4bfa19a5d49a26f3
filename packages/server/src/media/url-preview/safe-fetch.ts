import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { err, ok, type Result } from '@rhizome/core'
import { isPublicAddress } from '../../net/public-address.js'

export interface FetchOptions {
  /** Reach private and loopback addresses too (configuration, tests). */
  readonly allowPrivate: boolean
  /** The most bytes read from the body. */
  readonly maxBytes: number
  /** Past maxBytes, keep what arrived (a page's head is enough) rather than fail. */
  readonly truncate: boolean
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

export interface Fetched {
  /** Where the body came from, after redirects. */
  readonly url: URL
  readonly contentType: string | undefined
  readonly body: Buffer
}

export type FetchFailure =
  | { readonly kind: 'blocked' }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'failed'; readonly reason: string }

const MAX_REDIRECTS = 5
const USER_AGENT = 'Rhizome (Matrix homeserver; URL preview)'

class BlockedAddress extends Error {}

/**
 * GETs an http(s) URL for a preview, refusing non-public addresses. The check is made on the
 * addresses the connection actually uses: the DNS answer is filtered inside the socket's own
 * lookup, so a name that resolves differently a second time (DNS rebinding) cannot slip a private
 * address past it. Every redirect is checked the same way.
 */
export async function fetchPublic(
  url: URL,
  options: FetchOptions,
): Promise<Result<Fetched, FetchFailure>> {
  const signal = withTimeout(options.signal, options.timeoutMs)
  let current = url
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      return err({ kind: 'failed', reason: `cannot fetch ${current.protocol} URLs` })
    }
    const host = current.hostname.replace(/^\[(.*)\]$/, '$1')
    if (isIP(host) !== 0 && !options.allowPrivate && !isPublicAddress(host)) {
      return err({ kind: 'blocked' })
    }
    let response: IncomingMessage
    try {
      response = await get(current, options.allowPrivate, signal)
    } catch (e) {
      if (e instanceof BlockedAddress) return err({ kind: 'blocked' })
      return err({ kind: 'failed', reason: e instanceof Error ? e.message : String(e) })
    }
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if (status >= 300 && status < 400 && location !== undefined) {
      response.destroy()
      if (!URL.canParse(location, current.href)) {
        return err({ kind: 'failed', reason: 'bad redirect' })
      }
      current = new URL(location, current)
      continue
    }
    if (status < 200 || status >= 300) {
      response.destroy()
      return err({ kind: 'failed', reason: `status ${status}` })
    }
    const body = await readBody(response, options)
    if (!body.ok) return body
    return ok({ url: current, contentType: response.headers['content-type'], body: body.value })
  }
  return err({ kind: 'failed', reason: 'too many redirects' })
}

/** Aborts at the deadline, or with the caller's signal, whichever comes first. */
function withTimeout(caller: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(new Error(`no answer within ${timeoutMs} ms`))
  }, timeoutMs)
  timer.unref()
  const stop = (): void => {
    clearTimeout(timer)
    controller.abort(caller?.reason)
  }
  if (caller?.aborted === true) stop()
  else caller?.addEventListener('abort', stop, { once: true })
  return controller.signal
}

function get(url: URL, allowPrivate: boolean, signal: AbortSignal): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'GET',
        headers: {
          'user-agent': USER_AGENT,
          accept: 'text/html,application/xhtml+xml;q=0.9,image/*;q=0.8,*/*;q=0.5',
        },
        lookup: allowPrivate ? undefined : publicLookup,
        signal,
        // Each preview is its own connection, so a kept-alive socket can never skip the lookup.
        agent: false,
      },
      resolve,
    )
    request.once('error', reject)
    request.end()
  })
}

/** dns.lookup, with every non-public address taken out of the answer. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error !== null) {
      callback(error, '', 0)
      return
    }
    const usable = addresses.filter((a) => isPublicAddress(a.address))
    const first = usable[0]
    if (first === undefined) {
      callback(new BlockedAddress(`${hostname} has no public address`), '', 0)
      return
    }
    if (options.all === true) {
      // Node's own types give the callback the single-address shape only.
      ;(callback as unknown as (e: null, all: LookupAddress[]) => void)(null, usable)
    } else {
      callback(null, first.address, first.family)
    }
  })
}

async function readBody(
  response: IncomingMessage,
  options: FetchOptions,
): Promise<Result<Buffer, FetchFailure>> {
  const declared = Number(response.headers['content-length'])
  if (!options.truncate && Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy()
    return err({ kind: 'too_large' })
  }
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const room = options.maxBytes - size
      if (chunk.byteLength > room) {
        response.destroy()
        if (!options.truncate) return err({ kind: 'too_large' })
        chunks.push(chunk.subarray(0, room))
        size += room
        break
      }
      chunks.push(chunk)
      size += chunk.byteLength
    }
  } catch (e) {
    return err({ kind: 'failed', reason: e instanceof Error ? e.message : String(e) })
  }
  return ok(Buffer.concat(chunks, size))
}
