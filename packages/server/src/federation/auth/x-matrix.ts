/**
 * The `X-Matrix` authorization scheme of server-server requests (server-server-api §Request
 * Authentication): the signed JSON object that stands for a request, the header that carries its
 * signature, and a parser for the headers other servers send.
 */
import {
  err,
  jsonSignature,
  ok,
  parseKeyId,
  parseServerName,
  verifyJsonSignature,
  type CryptoProvider,
  type JsonObject,
  type Result,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'

/** The Authorization header value for an outbound request (X-Matrix origin, destination, key, sig). */
export type RequestSigner = (request: {
  method: string
  uri: string
  destination: ServerName
  content?: JsonObject
}) => string

/** What a request signature covers. `uri` is the path and query as sent, from `/_matrix/...` on. */
export interface SignedRequestParts {
  readonly method: string
  readonly uri: string
  readonly origin: ServerName
  readonly destination: ServerName
  /** The parsed JSON body; absent for a request without one. */
  readonly content?: JsonObject
}

/** The object whose JSON signature authenticates a request (step 1 of the spec). */
export function requestJson(parts: SignedRequestParts): JsonObject {
  const json: Record<string, JsonObject | string> = {
    method: parts.method,
    uri: parts.uri,
    origin: parts.origin,
    destination: parts.destination,
  }
  if (parts.content !== undefined) json['content'] = parts.content
  return json
}

export function createRequestSigner(
  serverName: ServerName,
  key: SigningKey,
  crypto: CryptoProvider,
): RequestSigner {
  return ({ method, uri, destination, content }) => {
    const parts: SignedRequestParts = {
      method,
      uri,
      origin: serverName,
      destination,
      ...(content === undefined ? {} : { content }),
    }
    const sig = jsonSignature(requestJson(parts), key, crypto)
    // Server names, key IDs and base64 hold no quote or backslash, so no value needs escaping;
    // lower-case names without spaces around commas are what older servers can read.
    return `X-Matrix origin="${serverName}",destination="${destination}",key="${key.keyId}",sig="${sig}"`
  }
}

/** The parameters of an inbound X-Matrix header that authentication uses. */
export interface XMatrixCredentials {
  readonly origin: ServerName
  /** Absent from servers older than spec v1.3, which recipients should still accept. */
  readonly destination: ServerName | undefined
  readonly key: string
  readonly sig: string
}

/**
 * Parses an `Authorization` header of the X-Matrix scheme (RFC 9110 §11.4 credentials with
 * auth-params). Names are case-insensitive and in no fixed order, values are tokens or quoted strings
 * with backslash escapes, empty list elements and spaces or tabs around commas are allowed, and
 * unknown parameters are ignored. Beyond RFC 9110, an unquoted value may hold ':' (the spec's
 * compatibility rule for server names with ports), and '/' and '=' (base64 signatures). A
 * parameter given twice is refused: the two values would leave it unclear what was signed.
 * The error is a message for the log and the 401 answer.
 */
export function parseXMatrixHeader(header: string): Result<XMatrixCredentials, string> {
  const scheme = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: +|$)/.exec(header)
  if (scheme === null) return err('the Authorization header has no scheme')
  if (scheme[1]?.toLowerCase() !== 'x-matrix')
    return err('the Authorization scheme is not X-Matrix')
  const params = parseAuthParams(header, scheme[0].length)
  if (!params.ok) return params
  const found = params.value
  const origin = found.get('origin')
  const key = found.get('key')
  const sig = found.get('sig')
  if (origin === undefined) return err('X-Matrix has no origin')
  if (key === undefined) return err('X-Matrix has no key')
  if (sig === undefined) return err('X-Matrix has no sig')
  const originName = parseServerName(origin)
  if (!originName.ok) return err(`X-Matrix origin: ${originName.error.error}`)
  const destination = found.get('destination')
  let destinationName: ServerName | undefined
  if (destination !== undefined) {
    const parsed = parseServerName(destination)
    if (!parsed.ok) return err(`X-Matrix destination: ${parsed.error.error}`)
    destinationName = parsed.value
  }
  // Keys that sign requests are published by the key server, whose key IDs are strict.
  const keyId = parseKeyId(key, 'strict')
  if (!keyId.ok) return err(`X-Matrix key: ${keyId.error.error}`)
  return ok({ origin: originName.value, destination: destinationName, key, sig })
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
const UNQUOTED_VALUE_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/=]/

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t'
}

/** The auth-params from `start` to the end, with lower-cased names. */
function parseAuthParams(header: string, start: number): Result<Map<string, string>, string> {
  const params = new Map<string, string>()
  let i = start
  const skipWhitespace = (): void => {
    while (isWhitespace(header[i])) i++
  }
  for (;;) {
    // Empty list elements (",,") and whitespace around commas are part of the list syntax.
    skipWhitespace()
    while (header[i] === ',') {
      i++
      skipWhitespace()
    }
    if (i >= header.length) break
    const nameStart = i
    while (i < header.length && TCHAR.test(header.charAt(i))) i++
    if (i === nameStart) return err(`X-Matrix: unexpected character at ${i}`)
    const name = header.slice(nameStart, i).toLowerCase()
    skipWhitespace()
    if (header[i] !== '=') return err(`X-Matrix: parameter ${name} has no value`)
    i++
    skipWhitespace()
    let value = ''
    if (header[i] === '"') {
      i++
      let closed = false
      while (i < header.length) {
        const c = header.charAt(i)
        if (c === '"') {
          closed = true
          i++
          break
        }
        if (c === '\\') {
          const next = header.charAt(i + 1)
          if (next === '' || !isQuotedChar(next)) return err(`X-Matrix: bad escape in ${name}`)
          value += next
          i += 2
          continue
        }
        if (!isQuotedChar(c)) return err(`X-Matrix: bad character in ${name}`)
        value += c
        i++
      }
      if (!closed) return err(`X-Matrix: unterminated quoted value of ${name}`)
    } else {
      const valueStart = i
      while (i < header.length && UNQUOTED_VALUE_CHAR.test(header.charAt(i))) i++
      if (i === valueStart) return err(`X-Matrix: parameter ${name} has an empty value`)
      value = header.slice(valueStart, i)
    }
    if (params.has(name)) return err(`X-Matrix: parameter ${name} is given twice`)
    params.set(name, value)
    skipWhitespace()
    if (i >= header.length) break
    if (header[i] !== ',') return err(`X-Matrix: expected ',' after ${name}`)
  }
  return ok(params)
}

/** qdtext and the escaped characters of quoted-pair: tab, space, visible ASCII, obs-text. */
function isQuotedChar(c: string): boolean {
  const code = c.charCodeAt(0)
  return code === 0x09 || (code >= 0x20 && code !== 0x7f && code <= 0xff)
}

/**
 * Checks `credentials.sig` over the request it claims to sign, with the origin's public key
 * (looked up by the caller). M_INVALID_SIGNATURE when it does not verify.
 */
export function verifyRequestSignature(
  credentials: XMatrixCredentials,
  request: Omit<SignedRequestParts, 'origin'>,
  publicKey: Uint8Array,
  crypto: CryptoProvider,
): Result<void> {
  const signed: JsonObject = {
    ...requestJson({ ...request, origin: credentials.origin }),
    signatures: { [credentials.origin]: { [credentials.key]: credentials.sig } },
  }
  return verifyJsonSignature(signed, credentials.origin, credentials.key, publicKey, crypto)
}
