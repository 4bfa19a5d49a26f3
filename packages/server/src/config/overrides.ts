import { resolve } from 'node:path'
import { err, ok, type Result } from '@rhizome/core'
import { configError, describeValue, type ConfigError } from './config-error.js'
import { isMapping } from './config-reader.js'

/** Settings given on the command line; each replaces its key in the file. */
export interface ConfigOverrides {
  readonly serverName?: string
  /** `HOST:PORT` each; together they replace the file's `listeners` (all resources, no TLS). */
  readonly listen?: readonly string[]
  readonly dataDir?: string
  readonly database?: string
}

/** The YAML key each flag sets, so errors can name the flag the operator typed. */
const FLAG_FOR_KEY: Readonly<Record<string, string>> = {
  server_name: '--server-name',
  listeners: '--listen',
  data_dir: '--data-dir',
  database: '--database',
}

export interface Overridden {
  readonly raw: unknown
  /** Rewrites an error about an overridden key to name its flag instead. */
  readonly relabel: (e: ConfigError) => ConfigError
}

/**
 * Lays the flags over the raw file data. Paths given as flags are resolved against `cwd` here, so
 * that the file's directory (the base for its own relative paths) does not apply to them.
 */
export function applyOverrides(
  raw: unknown,
  overrides: ConfigOverrides,
  cwd: string,
): Result<Overridden, ConfigError[]> {
  const set: Record<string, unknown> = {}
  if (overrides.serverName !== undefined) set['server_name'] = overrides.serverName
  if (overrides.dataDir !== undefined) set['data_dir'] = resolve(cwd, overrides.dataDir)
  if (overrides.database !== undefined) set['database'] = absoluteSqlite(overrides.database, cwd)
  if (overrides.listen !== undefined && overrides.listen.length > 0) {
    const listeners: unknown[] = []
    const errors: ConfigError[] = []
    for (const address of overrides.listen) {
      const parsed = parseHostPort(address)
      if (parsed === undefined) {
        errors.push(
          configError(
            '--listen',
            `expected HOST:PORT such as 127.0.0.1:8008 or [::]:8008, got ${describeValue(address)}`,
          ),
        )
      } else {
        listeners.push(parsed)
      }
    }
    if (errors.length > 0) return err(errors)
    set['listeners'] = listeners
  }
  const flagged = Object.keys(set)
  return ok({ raw: merge(raw, set), relabel: (e) => relabel(e, flagged) })
}

function merge(raw: unknown, set: Readonly<Record<string, unknown>>): unknown {
  if (Object.keys(set).length === 0) return raw
  if (raw === null || raw === undefined) return set
  if (isMapping(raw)) return { ...raw, ...set }
  return raw // not a mapping: the validator says so
}

function relabel(e: ConfigError, flagged: readonly string[]): ConfigError {
  const key = /^[a-z_]+/.exec(e.path)?.[0]
  if (key === undefined || !flagged.includes(key)) return e
  const flag = FLAG_FOR_KEY[key]
  return flag === undefined ? e : configError(flag, e.message)
}

function absoluteSqlite(database: string, cwd: string): string {
  if (!database.startsWith('sqlite:')) return database
  const path = database.slice('sqlite:'.length)
  if (path === '' || path === ':memory:' || path.startsWith('//')) return database
  return `sqlite:${resolve(cwd, path)}`
}

/** `HOST:PORT` or `[IPV6]:PORT`; the port stays text when it is not digits, for the validator. */
function parseHostPort(address: string): { bind: string; port: number | string } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(.+)$/.exec(address)
  if (match === null) return undefined
  const bind = match[1] ?? match[2]
  const port = match[3]
  if (bind === undefined || port === undefined) return undefined
  return { bind, port: /^\d{1,6}$/.test(port) ? Number(port) : port }
}
