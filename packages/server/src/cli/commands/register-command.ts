import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from '../cli-io.js'
import { commandConfig } from '../command-config.js'
import { REGISTER_HELP } from '../help.js'
import { parseFlags } from '../parse-flags.js'

/**
 * `rhizome register`: checks its arguments and the configuration, then says plainly that
 * accounts cannot be created yet. It must never report an account that was not made.
 */
export function registerCommand(args: readonly string[], io: CliIo): number {
  const flags = parseFlags(args, {
    user: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    admin: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    dev: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (!flags.ok) {
    io.err(`rhizome register: ${flags.error}\n\n${REGISTER_HELP}`)
    return EXIT_USAGE
  }
  const values = flags.value
  if (values.help === true) {
    io.out(REGISTER_HELP)
    return EXIT_OK
  }
  const missing = (['user', 'password'] as const).filter((name) => values[name] === undefined)
  if (missing.length > 0) {
    const names = missing.map((name) => `--${name}`).join(' and ')
    io.err(
      `rhizome register: ${names} ${missing.length === 1 ? 'is' : 'are'} required\n\n${REGISTER_HELP}`,
    )
    return EXIT_USAGE
  }
  const config = commandConfig(
    'register',
    { config: values.config, dev: values.dev, overrides: {} },
    io.cwd,
  )
  if (!config.ok) {
    io.err(config.error)
    return EXIT_FAILURE
  }
  io.err(
    'rhizome register: not available yet: accounts are kept in the database, and this build has ' +
      'no storage layer. No account was created.\n',
  )
  return EXIT_FAILURE
}
