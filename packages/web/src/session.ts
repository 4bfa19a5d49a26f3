/** What the app needs to resume talking to a homeserver without signing in again. */
export interface Session {
  readonly baseUrl: string
  readonly userId: string
  readonly deviceId: string
  readonly accessToken: string
}

/** The slice of the Web Storage API the app uses, so tests can pass a map-backed fake. */
export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

const SESSION_KEY = 'rhizome.session'

export function saveSession(store: KeyValueStore, session: Session): void {
  store.setItem(SESSION_KEY, JSON.stringify(session))
}

export function clearSession(store: KeyValueStore): void {
  store.removeItem(SESSION_KEY)
}

/** Returns the stored session, or undefined when there is none or it is damaged. */
export function loadSession(store: KeyValueStore): Session | undefined {
  const raw = store.getItem(SESSION_KEY)
  if (raw === null) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Record<string, unknown>
  const { baseUrl, userId, deviceId, accessToken } = record
  if (
    typeof baseUrl !== 'string' ||
    typeof userId !== 'string' ||
    typeof deviceId !== 'string' ||
    typeof accessToken !== 'string'
  ) {
    return undefined
  }
  return { baseUrl, userId, deviceId, accessToken }
}

/** An in-memory store, for tests and for browsers that refuse localStorage. */
export class MemoryStore implements KeyValueStore {
  readonly #items = new Map<string, string>()

  getItem(key: string): string | null {
    return this.#items.get(key) ?? null
  }

  setItem(key: string, value: string): void {
    this.#items.set(key, value)
  }

  removeItem(key: string): void {
    this.#items.delete(key)
  }
}
