/** The subset of `fetch` discovery needs, so tests can answer without a network. */
export type Fetcher = (url: string) => Promise<{ ok: boolean; json(): Promise<unknown> }>

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

/**
 * Turns what the user typed in the homeserver field into a client-server API base URL.
 * A full URL is taken as is; a bare server name is looked up through
 * `/.well-known/matrix/client`, falling back to `https://<name>` when that says nothing usable.
 */
export async function resolveHomeserver(
  input: string,
  pageOrigin: string,
  fetcher: Fetcher,
): Promise<string> {
  const typed = input.trim()
  if (typed === '') return trimSlashes(pageOrigin)
  if (/^https?:\/\//i.test(typed)) return trimSlashes(typed)
  const fallback = `https://${trimSlashes(typed)}`
  try {
    const response = await fetcher(`${fallback}/.well-known/matrix/client`)
    if (!response.ok) return fallback
    const body = await response.json()
    const baseUrl = wellKnownBaseUrl(body)
    return baseUrl === undefined ? fallback : trimSlashes(baseUrl)
  } catch {
    return fallback
  }
}

function wellKnownBaseUrl(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const homeserver = (body as Record<string, unknown>)['m.homeserver']
  if (typeof homeserver !== 'object' || homeserver === null) return undefined
  const baseUrl = (homeserver as Record<string, unknown>)['base_url']
  if (typeof baseUrl !== 'string' || !/^https?:\/\//i.test(baseUrl)) return undefined
  return baseUrl
}
