import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { err, ok, type Result } from '@rhizome/core'
import { LineCounter, parseDocument } from 'yaml'
import type { Config } from './config.js'
import { configError, type ConfigError } from './config-error.js'
import { applyOverrides, type ConfigOverrides } from './overrides.js'
import { validateConfig } from './validate-config.js'

/** Where the configuration comes from before the command-line flags are laid over it. */
export type ConfigSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'yaml'; readonly text: string; readonly baseDir: string }
  /** Already-parsed data, such as the development configuration. */
  | { readonly kind: 'data'; readonly value: unknown; readonly baseDir: string }
  /** No file: flags alone (relative paths against the working directory). */
  | { readonly kind: 'none' }

/**
 * Reads the YAML file at `path` (none: flags only), lays `overrides` over it and validates the
 * whole. Every problem is reported, each naming its key or flag.
 */
export function loadConfig(
  path: string | undefined,
  overrides: ConfigOverrides = {},
  cwd: string = process.cwd(),
): Result<Config, ConfigError[]> {
  const source: ConfigSource = path === undefined ? { kind: 'none' } : { kind: 'file', path }
  return loadConfigFrom(source, overrides, cwd)
}

export function loadConfigFrom(
  source: ConfigSource,
  overrides: ConfigOverrides,
  cwd: string,
): Result<Config, ConfigError[]> {
  let raw: unknown = {}
  let baseDir = cwd
  if (source.kind === 'file') {
    const absolute = resolve(cwd, source.path)
    let text: string
    try {
      text = readFileSync(absolute, 'utf8')
    } catch (e) {
      return err([configError('', `cannot read config file ${absolute}: ${errorText(e)}`)])
    }
    const parsed = parseYaml(text, absolute)
    if (!parsed.ok) return parsed
    raw = parsed.value
    baseDir = dirname(absolute)
  } else if (source.kind === 'yaml') {
    const parsed = parseYaml(source.text, 'config')
    if (!parsed.ok) return parsed
    raw = parsed.value
    baseDir = source.baseDir
  } else if (source.kind === 'data') {
    raw = source.value
    baseDir = source.baseDir
  }
  const merged = applyOverrides(raw, overrides, cwd)
  if (!merged.ok) return merged
  const config = validateConfig(merged.value.raw, baseDir)
  if (config.ok) return config
  return err(config.error.map((e) => merged.value.relabel(e)))
}

/** The YAML as plain data. Duplicate keys are an error, as a later one silently winning would be. */
export function parseYaml(text: string, name: string): Result<unknown, ConfigError[]> {
  const lines = new LineCounter()
  // prettyErrors would quote the offending text, which may be a secret.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines })
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0])
        const where = `${name} line ${at.line}, column ${at.col}`
        return configError('', `${where}: ${e.message}`)
      }),
    )
  }
  try {
    return ok(doc.toJS({ maxAliasCount: 100 }) as unknown)
  } catch (e) {
    // An alias bomb, or an alias to nothing: refused rather than expanded.
    return err([configError('', `${name}: ${errorText(e)}`)])
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
