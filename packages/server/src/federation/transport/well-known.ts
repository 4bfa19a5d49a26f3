/**
 * `/.well-known/matrix/server` (server-server-api §Resolving server names, step 3): what a response
 * delegates to, and how long to remember it.
 */
import {
  isJsonObject,
  parseJson,
  parseServerName,
  type Result,
  type ServerName,
} from '@rhizome/core'

/** The parts of a `/.well-known/matrix/server` response that discovery reads. */
export interface WellKnownResponse {
  readonly status: number
  /** The body as text; the spec says to read it as JSON whatever its Content-Type. */
  readonly body: string
  readonly cacheControl?: string
  readonly expires?: string
  readonly date?: string
}

/**
 * GETs `https://<hostname>/.well-known/matrix/server`, following redirects. An error is a request
 * that got no response at all (DNS, connection, TLS, too many redirects, a body too large).
 */
export type WellKnownFetcher = (hostname: string) => Promise<Result<WellKnownResponse, string>>

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** A success is remembered at least this long, whatever its headers say, to spare both sides. */
export const MIN_WELL_KNOWN_LIFETIME_MS = 5 * MINUTE
/** The spec's recommended cap, so a changed delegation is seen within two days. */
export const MAX_WELL_KNOWN_LIFETIME_MS = 48 * HOUR
/** The spec's recommended default when a response carries no caching headers. */
export const DEFAULT_WELL_KNOWN_LIFETIME_MS = 24 * HOUR
/** The first failure is remembered this long; each further failure in a row doubles it... */
export const FIRST_FAILURE_LIFETIME_MS = 10 * MINUTE
/** ...up to the spec's recommended hour. */
export const MAX_FAILURE_LIFETIME_MS = HOUR

/** The delegated server name, or undefined when the response is not a valid delegation. */
export function delegatedServerName(response: WellKnownResponse): ServerName | undefined {
  if (response.status !== 200) return undefined
  const parsed = parseJson(response.body)
  if (!parsed.ok || !isJsonObject(parsed.value)) return undefined
  const name = parsed.value['m.server']
  if (typeof name !== 'string') return undefined
  const valid = parseServerName(name)
  return valid.ok ? valid.value : undefined
}

/**
 * How long a valid response stays fresh: `max-age` from Cache-Control, else `Expires` against the
 * response's `Date` (or our clock), else the default; clamped to the bounds above. `no-store` and
 * `no-cache` get the minimum: discovery runs before every request, and asking the remote server
 * each time would cost it more than a short reuse costs the accuracy the header asks for.
 */
export function wellKnownLifetimeMs(response: WellKnownResponse, now: number): number {
  return clamp(declaredLifetimeMs(response, now) ?? DEFAULT_WELL_KNOWN_LIFETIME_MS)
}

/** How long the `failures`-th failure in a row is remembered (exponential back-off). */
export function failureLifetimeMs(failures: number): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 16)
  return Math.min(FIRST_FAILURE_LIFETIME_MS * 2 ** doublings, MAX_FAILURE_LIFETIME_MS)
}

function declaredLifetimeMs(response: WellKnownResponse, now: number): number | undefined {
  if (response.cacheControl !== undefined) {
    const directives = response.cacheControl
      .toLowerCase()
      .split(',')
      .map((part) => part.trim())
    if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0
    for (const directive of directives) {
      const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive)
      if (match?.[1] !== undefined) return Number(match[1]) * 1000
    }
  }
  if (response.expires !== undefined) {
    const expires = Date.parse(response.expires)
    // An unparseable Expires means "already expired" (RFC 9111 §5.3).
    if (Number.isNaN(expires)) return 0
    const date = response.date === undefined ? NaN : Date.parse(response.date)
    return expires - (Number.isNaN(date) ? now : date)
  }
  return undefined
}

function clamp(ms: number): number {
  return Math.min(Math.max(ms, MIN_WELL_KNOWN_LIFETIME_MS), MAX_WELL_KNOWN_LIFETIME_MS)
}
