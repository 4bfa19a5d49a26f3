/**
 * Dot-separated property paths (appendices §Dot-separated property paths): `content.body` is the
 * `body` of the `content`; a literal dot or backslash in a name is escaped with a backslash
 * (`content.m\.relates_to`), and any other escape sequence is kept as it is.
 */
import type { JsonObject, JsonValue } from '../json/json.js'
import { isJsonObject } from '../json/json.js'

const MAX_CACHED = 2000
const cache = new Map<string, readonly string[]>()

/** The property names of a path, unescaped. */
export function splitPropertyPath(path: string): readonly string[] {
  let parts = cache.get(path)
  if (parts === undefined) {
    parts = split(path)
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(path, parts)
  }
  return parts
}

function split(path: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < path.length; i++) {
    const ch = path.charAt(i)
    if (ch === '\\') {
      const next = path.charAt(i + 1)
      if (next === '.' || next === '\\') {
        current += next
        i++
      } else {
        current += ch
      }
    } else if (ch === '.') {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

/** The value at `path` in `object`, or undefined when some step is missing or not an object. */
export function propertyAt(object: JsonObject, path: string): JsonValue | undefined {
  let value: JsonValue = object
  for (const name of splitPropertyPath(path)) {
    if (!isJsonObject(value) || !Object.hasOwn(value, name)) return undefined
    const next: JsonValue | undefined = value[name]
    if (next === undefined) return undefined
    value = next
  }
  return value
}
