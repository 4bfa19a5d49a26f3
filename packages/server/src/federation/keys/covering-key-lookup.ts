/**
 * A key lookup for checking many events in one go (a send_join answer: the room's whole state and
 * auth chain), which asks the lookup underneath once per server key instead of once per event.
 *
 * A key valid for an event sent at T is valid for every event sent before T (a key's validity
 * only ends), so an answer found for T is reused for every event no newer than T; and a key not
 * found for T is not asked again for a newer event. Events checked newest first (see
 * `newestFirst`) thus cost one lookup per key. Rooms whose version does not enforce key validity
 * ask without a timestamp, which every found key covers.
 *
 * Meant to live for one batch of checks: what it remembers is never refreshed.
 */
import { isJsonObject, type JsonValue, type ServerKeyLookup } from '@rhizome/core'

interface Found {
  readonly key: Uint8Array
  /** The newest event timestamp the key was found valid for. */
  readonly validAt: number
}

export function coveringKeyLookup(lookup: ServerKeyLookup): ServerKeyLookup {
  const found = new Map<string, Found>()
  /** The oldest event timestamp the key was not found for. */
  const missingFrom = new Map<string, number>()
  return async (serverName, keyIds, eventTs) => {
    const at = eventTs ?? Number.NEGATIVE_INFINITY
    const known = new Map<string, Uint8Array>()
    const unknown: string[] = []
    for (const keyId of keyIds) {
      const id = cacheKey(serverName, keyId)
      const hit = found.get(id)
      if (hit !== undefined && hit.validAt >= at) {
        known.set(keyId, hit.key)
        continue
      }
      const missing = missingFrom.get(id)
      if (missing !== undefined && at >= missing) continue
      unknown.push(keyId)
    }
    if (unknown.length === 0) return known
    const answered = await lookup(serverName, unknown, eventTs)
    for (const keyId of unknown) {
      const id = cacheKey(serverName, keyId)
      const key = answered.get(keyId)
      if (key === undefined) {
        missingFrom.set(id, Math.min(missingFrom.get(id) ?? Number.POSITIVE_INFINITY, at))
      } else {
        const before = found.get(id)?.validAt ?? Number.NEGATIVE_INFINITY
        found.set(id, { key, validAt: Math.max(before, at) })
        known.set(keyId, key)
      }
    }
    return known
  }
}

/** Server names and key IDs hold no line breaks. */
function cacheKey(serverName: string, keyId: string): string {
  return `${serverName}\n${keyId}`
}

/**
 * The events in the order that makes `coveringKeyLookup` ask least: the newest (by their
 * `origin_server_ts`) first. What is not an object with a numeric timestamp goes last, for the
 * checks to refuse.
 */
export function newestFirst(events: readonly JsonValue[]): JsonValue[] {
  const ts = (event: JsonValue): number => {
    const value = isJsonObject(event) ? event['origin_server_ts'] : undefined
    return typeof value === 'number' ? value : Number.NEGATIVE_INFINITY
  }
  return events
    .map((event) => ({ event, at: ts(event) }))
    .sort((a, b) => (a.at === b.at ? 0 : a.at > b.at ? -1 : 1))
    .map(({ event }) => event)
}
