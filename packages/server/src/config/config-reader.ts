import { isAbsolute, resolve } from 'node:path'
import { configError, describeValue, type ConfigError } from './config-error.js'

/**
 * Reads one mapping of the raw YAML, recording a precise error for every bad or unknown key and
 * handing back a fallback instead, so that one pass reports every problem in the file.
 */
export class ConfigSection {
  readonly #values: Readonly<Record<string, unknown>>

  private constructor(
    readonly path: string,
    values: Readonly<Record<string, unknown>>,
    readonly errors: ConfigError[],
    readonly baseDir: string,
  ) {
    this.#values = values
  }

  /**
   * The mapping `value` at `path`, whose keys must be among `keys`. An absent or null value reads
   * as an empty mapping (every key takes its default); anything else that is not a mapping is an
   * error, and reads as empty too.
   */
  static open(
    value: unknown,
    path: string,
    keys: readonly string[],
    errors: ConfigError[],
    baseDir: string,
  ): ConfigSection {
    if (value === undefined || value === null) return new ConfigSection(path, {}, errors, baseDir)
    if (!isMapping(value)) {
      errors.push(
        configError(
          path,
          `expected a mapping with keys ${keys.join(', ')}, got ${describeValue(value)}`,
        ),
      )
      return new ConfigSection(path, {}, errors, baseDir)
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key))
        errors.push(configError(join(path, key), unknownKeyMessage(key, keys)))
    }
    return new ConfigSection(path, value, errors, baseDir)
  }

  keyPath(key: string): string {
    return join(this.path, key)
  }

  /** The raw value, with null read as absent. */
  raw(key: string): unknown {
    const value = Object.hasOwn(this.#values, key) ? this.#values[key] : undefined
    return value === null ? undefined : value
  }

  section(key: string, keys: readonly string[]): ConfigSection {
    return ConfigSection.open(this.raw(key), this.keyPath(key), keys, this.errors, this.baseDir)
  }

  fail(key: string, expected: string, value: unknown = this.raw(key)): void {
    this.errors.push(
      configError(this.keyPath(key), `expected ${expected}, got ${describeValue(value)}`),
    )
  }

  missing(key: string, what: string): void {
    this.errors.push(configError(this.keyPath(key), `required: ${what}`))
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key)
    if (value === undefined) return fallback
    if (typeof value === 'boolean') return value
    this.fail(key, 'true or false')
    return fallback
  }

  integer(key: string, min: number, max: number, fallback: number | undefined): number | undefined {
    const value = this.raw(key)
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
      return value
    }
    this.fail(key, `an integer ${min}-${max}`)
    return fallback
  }

  positiveNumber(key: string, fallback: number): number {
    const value = this.raw(key)
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
    this.fail(key, 'a number greater than 0')
    return fallback
  }

  /** A non-empty string, or undefined when absent. */
  string(key: string): string | undefined {
    const value = this.raw(key)
    if (value === undefined) return undefined
    if (typeof value === 'string' && value.trim() !== '') return value
    this.fail(key, 'a non-empty string')
    return undefined
  }

  oneOf<T extends string>(key: string, options: readonly T[], fallback: T): T {
    const value = this.raw(key)
    if (value === undefined) return fallback
    const found = options.find((option) => option === value)
    if (found !== undefined) return found
    this.fail(key, `one of ${options.join(', ')}`)
    return fallback
  }

  /** A file or directory path, resolved against the configuration's base directory. */
  filePath(key: string, fallback: string): string {
    return this.resolvePath(this.string(key) ?? fallback)
  }

  resolvePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.baseDir, path)
  }

  /** The list at `key`, or undefined (with an error if the value is something else). */
  list(key: string): readonly unknown[] | undefined {
    const value = this.raw(key)
    if (value === undefined) return undefined
    if (Array.isArray(value)) {
      const items: readonly unknown[] = value
      return items
    }
    this.fail(key, 'a list')
    return undefined
  }

  stringList(key: string): readonly string[] | undefined {
    const items = this.list(key)
    if (items === undefined) return undefined
    const out: string[] = []
    items.forEach((item, i) => {
      if (typeof item === 'string' && item.trim() !== '') out.push(item)
      else
        this.errors.push(
          configError(
            `${this.keyPath(key)}[${i}]`,
            `expected a non-empty string, got ${describeValue(item)}`,
          ),
        )
    })
    return out
  }
}

export function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const close = known.find((k) => editDistance(k, key) <= Math.max(1, Math.floor(k.length / 4)))
  if (close !== undefined) return `unknown key (did you mean ${close}?)`
  return `unknown key (expected one of ${known.join(', ')})`
}

/**
 * The edit distance with adjacent transpositions (optimal string alignment), so that `enabeld`
 * is one edit from `enabled`. Keys are short, so the quadratic table is tiny.
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const above = rows[i - 1] ?? []
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1)
      }
      row.push(best)
    }
    rows.push(row)
  }
  return rows[a.length]?.[b.length] ?? 0
}
