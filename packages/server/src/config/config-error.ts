/** One problem with the configuration, at a key path such as `listeners[0].port`. */
export interface ConfigError {
  /** The key path, a command-line flag such as `--listen`, or '' for the file as a whole. */
  readonly path: string
  readonly message: string
}

export function configError(path: string, message: string): ConfigError {
  return { path, message }
}

export function formatConfigError(e: ConfigError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`
}

/** How a value found in the file is shown in a message: short, and typed. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  }
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  return typeof value
}
