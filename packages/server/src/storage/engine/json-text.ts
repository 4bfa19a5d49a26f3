import { isJsonObject, type JsonObject } from '@rhizome/core'

/** Reads JSON that we stored ourselves as an object; anything else means the row was damaged. */
export function parseStoredObject(text: string, what: string): JsonObject {
  const value: unknown = JSON.parse(text)
  if (!isJsonObject(value)) throw new Error(`stored ${what} is not a JSON object`)
  return value
}

/** Filter IDs are decimal strings of a positive row ID; anything else names no filter. */
export function parseFilterId(filterId: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(filterId)) return undefined
  return Number(filterId)
}
