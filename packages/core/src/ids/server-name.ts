/**
 * Server names (appendices §Server Name):
 *
 *     server_name = hostname [ ":" port ]
 *     hostname    = IPv4address / "[" IPv6address "]" / dns-name
 *
 * Decisions where the spec leaves room:
 * - DNS names follow the grammar (`1*255` of letters, digits, `-` and `.`), not the SHOULD about
 *   label shape: `a..b`, `-a` and a trailing dot pass. Other servers do not check label shape
 *   either, and an event must not be rejected by us alone for a name they accept.
 * - A dotted quad (four groups of 1-3 digits) is an IPv4 literal and each number must be at most
 *   255, as the prose requires; RFC 1123 rules out reading it as a DNS name instead.
 * - IPv6 literals follow RFC 3513 §2.2 (hex groups, one `::`, an optional dotted-quad tail); zone
 *   IDs (`%eth0`) are not in the grammar's character set.
 * - The port is `1*5DIGIT` and, beyond the grammar, must lie in 1-65535: any other number names no
 *   TCP port, so no server can answer to it (ruma also rejects ports above 65535).
 * - Upper case is valid (names compare case-sensitively); the 230-character advice is not enforced.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { quoteForError } from './id-text.js'
import type { ServerName } from './types.js'

export const MAX_SERVER_NAME_LENGTH = 255

export interface ServerNameParts {
  /**
   * The host without brackets: a DNS name as written, an IPv6 address as written, or an IPv4
   * address in plain dotted decimal (`010.0.0.1` is ten: the spec says decimal, and resolvers
   * that read a leading zero as octal must never see it).
   */
  readonly host: string
  readonly port?: number
  readonly kind: 'dns' | 'ipv4' | 'ipv6'
}

/** Checks `raw` against the server-name grammar and the 255-byte limit. */
export function parseServerName(raw: string): Result<ServerName> {
  if (typeof raw !== 'string') return err(invalidParam('server name must be a string'))
  const problem = serverNameProblem(raw)
  if (problem !== undefined)
    return err(invalidParam(`server name ${problem}: ${quoteForError(raw)}`))
  return ok(raw as ServerName)
}

/** The parts of a server name, for server discovery. */
export function splitServerName(name: ServerName): ServerNameParts {
  let hostEnd: number
  let host: string
  let kind: ServerNameParts['kind']
  if (name.charCodeAt(0) === BRACKET_OPEN) {
    hostEnd = name.indexOf(']') + 1
    host = name.slice(1, hostEnd - 1)
    kind = 'ipv6'
  } else {
    const colon = name.indexOf(':')
    hostEnd = colon < 0 ? name.length : colon
    host = name.slice(0, hostEnd)
    if (isDottedQuad(host, 0, hostEnd)) {
      host = host
        .split('.')
        .map((part) => String(Number(part)))
        .join('.')
      kind = 'ipv4'
    } else {
      kind = 'dns'
    }
  }
  if (hostEnd === name.length) return { host, kind }
  return { host, port: Number(name.slice(hostEnd + 1)), kind }
}

/**
 * Why `s` is not a server name, or undefined if it is one. Identifier parsers call this directly
 * so that checking the server part of an ID allocates nothing when it is valid.
 */
export function serverNameProblem(s: string): string | undefined {
  const len = s.length
  if (len === 0) return 'is empty'
  // Every valid character is ASCII, so a longer string is over 255 bytes whatever it holds.
  if (len > MAX_SERVER_NAME_LENGTH) return `is longer than ${MAX_SERVER_NAME_LENGTH} bytes`
  let hostEnd: number
  if (s.charCodeAt(0) === BRACKET_OPEN) {
    const close = s.indexOf(']')
    if (close < 0) return "has a '[' without a closing ']'"
    if (!isIpv6(s, 1, close)) return 'has an invalid IPv6 literal'
    hostEnd = close + 1
  } else {
    const colon = s.indexOf(':')
    hostEnd = colon < 0 ? len : colon
    if (hostEnd === 0) return 'has an empty hostname'
    for (let i = 0; i < hostEnd; i++) {
      if (!isDnsChar(s.charCodeAt(i))) {
        return "has a hostname character other than A-Z, a-z, 0-9, '-' and '.'"
      }
    }
    if (isDottedQuad(s, 0, hostEnd) && !isIpv4(s, 0, hostEnd)) {
      return 'has an IPv4 literal with a number above 255'
    }
  }
  if (hostEnd === len) return undefined
  if (s.charCodeAt(hostEnd) !== COLON) return "has text after the IPv6 literal that is not ':port'"
  const digits = len - hostEnd - 1
  if (digits < 1 || digits > 5) return 'has a port that is not 1 to 5 digits'
  let port = 0
  for (let i = hostEnd + 1; i < len; i++) {
    const c = s.charCodeAt(i)
    if (!isDigit(c)) return 'has a port that is not 1 to 5 digits'
    port = port * 10 + (c - DIGIT_0)
  }
  if (port < 1 || port > 65535) return 'has a port outside 1-65535'
  return undefined
}

const BRACKET_OPEN = 0x5b
const COLON = 0x3a
const DOT = 0x2e
const DIGIT_0 = 0x30

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= 0x39
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function isDnsChar(c: number): boolean {
  return (
    isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === DOT
  )
}

/** Four groups of 1-3 digits separated by dots: the grammar's IPv4address, whatever the values. */
function isDottedQuad(s: string, start: number, end: number): boolean {
  let groups = 0
  let i = start
  while (i < end) {
    const from = i
    while (i < end && isDigit(s.charCodeAt(i))) i++
    const digits = i - from
    if (digits < 1 || digits > 3) return false
    groups++
    if (i === end) break
    if (s.charCodeAt(i) !== DOT) return false
    i++
    if (i === end) return false
  }
  return groups === 4
}

/** A dotted quad whose four numbers are each at most 255. */
function isIpv4(s: string, start: number, end: number): boolean {
  if (!isDottedQuad(s, start, end)) return false
  let value = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === DOT) {
      value = 0
      continue
    }
    value = value * 10 + (c - DIGIT_0)
    if (value > 255) return false
  }
  return true
}

/**
 * RFC 3513 §2.2 text forms: eight groups of 1-4 hex digits, or fewer with exactly one `::` standing
 * for one or more zero groups, where the last two groups may be written as a dotted quad.
 */
function isIpv6(s: string, start: number, end: number): boolean {
  const len = end - start
  if (len < 2 || len > 45) return false
  let groups = 0
  let compressed = false
  let i = start
  if (s.charCodeAt(i) === COLON) {
    if (s.charCodeAt(i + 1) !== COLON) return false
    compressed = true
    i += 2
  }
  while (i < end) {
    const from = i
    while (i < end && i - from < 5 && isHexDigit(s.charCodeAt(i))) i++
    if (i < end && s.charCodeAt(i) === DOT) {
      // An IPv4 tail ends the address and stands for two groups.
      if (!isIpv4(s, from, end)) return false
      groups += 2
      break
    }
    const digits = i - from
    if (digits < 1 || digits > 4) return false
    groups++
    if (i === end) break
    if (s.charCodeAt(i) !== COLON) return false
    i++
    if (i < end && s.charCodeAt(i) === COLON) {
      if (compressed) return false
      compressed = true
      i++
    } else if (i === end) {
      return false
    }
  }
  return compressed ? groups <= 7 : groups === 8
}
