import { err, type Result } from '@rhizome/core'
import type { Config } from '../config/config.js'
import { formatConfigError } from '../config/config-error.js'
import { devConfigData } from '../config/dev-config.js'
import { loadConfig, loadConfigFrom } from '../config/load-config.js'
import type { ConfigOverrides } from '../config/overrides.js'

export interface ConfigFlags {
  readonly config?: string | undefined
  readonly dev?: boolean | undefined
  readonly overrides: ConfigOverrides
}

/**
 * The configuration a command runs with: the development one (--dev), a file (--config), or the
 * flags alone, with the flags laid over it. The error is the full message for standard error.
 */
export function commandConfig(
  command: string,
  flags: ConfigFlags,
  cwd: string,
): Result<Config, string> {
  if (flags.dev === true && flags.config !== undefined) {
    return err(`rhizome ${command}: --dev and --config cannot be combined\n`)
  }
  const loaded =
    flags.dev === true
      ? loadConfigFrom({ kind: 'data', value: devConfigData(), baseDir: cwd }, flags.overrides, cwd)
      : loadConfig(flags.config, flags.overrides, cwd)
  if (loaded.ok) return loaded
  const problems = loaded.error
  const heading =
    problems.length === 1
      ? `rhizome ${command}: the configuration has a problem:\n`
      : `rhizome ${command}: the configuration has ${problems.length} problems:\n`
  return err(heading + problems.map((e) => `  ${formatConfigError(e)}\n`).join(''))
}
