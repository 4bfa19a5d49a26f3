import type { RoomVersionRules } from '../room-versions/rules.js'

/**
 * How a room version writes the numbers in `m.room.power_levels`.
 *
 * - `integers-strings-floats` (v1-v5): integers, integer-looking strings (rooms/fragments/
 *   v1-stringy-power-levels.md) and floats, truncated at the decimal point
 *   (v1-floaty-power-levels.md).
 * - `integers-strings` (v6-v9): canonical JSON forbids floats, strings are still accepted.
 * - `integers` (v10+): integers only (rooms/v10.md, "Values in m.room.power_levels events must be
 *   integers").
 */
export type PowerLevelFormat = 'integers-strings-floats' | 'integers-strings' | 'integers'

export function powerLevelFormat(rules: RoomVersionRules): PowerLevelFormat {
  if (rules.auth.integerPowerLevels) return 'integers'
  return rules.eventFormat.strictCanonicalJson ? 'integers-strings' : 'integers-strings-floats'
}

// One base-10 integer with an optional sign; surrounding whitespace is trimmed before the match.
const INTEGER_STRING = /^[+-]?[0-9]+$/

/**
 * The power level a JSON value stands for in the given format, or undefined when the value is not a
 * power level there (wrong type, a float where floats are not allowed, a malformed string, or a
 * number outside the range of a double).
 */
export function parsePowerLevelValue(value: unknown, format: PowerLevelFormat): number | undefined {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value === 0 ? 0 : value
    if (format !== 'integers-strings-floats' || !Number.isFinite(value)) return undefined
    // Math.trunc keeps the sign of -0.5 as -0; power levels have no negative zero.
    const truncated = Math.trunc(value)
    return truncated === 0 ? 0 : truncated
  }
  if (typeof value === 'string' && format !== 'integers') {
    const trimmed = value.trim()
    if (!INTEGER_STRING.test(trimmed)) return undefined
    const parsed = Number(trimmed)
    if (!Number.isFinite(parsed)) return undefined
    return parsed === 0 ? 0 : parsed
  }
  return undefined
}
