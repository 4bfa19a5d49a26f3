/**
 * Query parameters that carry credentials: the deprecated `access_token` (client-server-api
 * §Using access tokens), SSO's `loginToken`, and registration-token checks' `token`.
 */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'refresh_token',
  'loginToken',
  'token',
])

/** The URL as it may be logged: the value of every credential parameter replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const parts = url.slice(q + 1).split('&')
  let changed = false
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    const eq = part.indexOf('=')
    const rawName = eq < 0 ? part : part.slice(0, eq)
    if (SECRET_PARAMS.has(decodeName(rawName))) {
      parts[i] = `${rawName}=[redacted]`
      changed = true
    }
  }
  return changed ? `${url.slice(0, q)}?${parts.join('&')}` : url
}

/** A parameter name as a server would read it (`access%5Ftoken` is `access_token`). */
function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '))
  } catch {
    return raw
  }
}
