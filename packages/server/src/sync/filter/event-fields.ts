import { isJsonObject, type JsonObject, type JsonValue } from '@rhizome/core'

/** A dot-separated property path (appendices §Dot-separated property paths), split and unescaped. */
export type EventFieldPath = readonly string[]

/**
 * Splits `content.m\.relates_to` into `['content', 'm.relates_to']`. A backslash escapes a dot or
 * a backslash; before any other character it is a literal backslash. Undefined for the empty
 * string, which names no field.
 */
export function parseEventFieldPath(text: string): EventFieldPath | undefined {
  if (text === '') return undefined
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i)
    const next = text.charAt(i + 1)
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next
      i++
    } else if (char === '.') {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts
}

/**
 * The event with only the fields at `paths` (a filter's `event_fields`). Fields that the event
 * lacks are left out; values are shared with `event`, never changed.
 */
export function projectEventFields(
  event: JsonObject,
  paths: readonly EventFieldPath[],
): JsonObject {
  const out: Record<string, JsonValue> = {}
  for (const path of paths) copyPath(event, out, path, 0)
  return out
}

function copyPath(
  from: JsonObject,
  to: Record<string, JsonValue>,
  path: EventFieldPath,
  depth: number,
): void {
  const key = path[depth]
  if (key === undefined || !Object.hasOwn(from, key)) return
  const value = from[key] as JsonValue
  if (depth === path.length - 1) {
    to[key] = value
    return
  }
  if (!isJsonObject(value)) return
  const existing = to[key]
  // Already copied whole by a shorter path: the deeper field is in it.
  if (existing === value) return
  if (existing !== undefined && isJsonObject(existing)) {
    // Made by an earlier path of ours below this key, so ours to extend.
    copyPath(value, existing, path, depth + 1)
    return
  }
  const inner: Record<string, JsonValue> = {}
  copyPath(value, inner, path, depth + 1)
  if (Object.keys(inner).length > 0) to[key] = inner
}
