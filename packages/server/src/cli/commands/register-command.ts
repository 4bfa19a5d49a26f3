import { parseUserId, userIdLocalpart, userIdServerName } from '@rhizome/core'
import { createAccountService } from '../../accounts/create-account-service.js'
import { asciiLowercase } from '../../accounts/usernames.js'
import { describeDatabase } from '../../app/describe-database.js'
import type { DatabaseConfig } from '../../config/config.js'
import { noRateLimits } from '../../rate-limit/rate-limiter.js'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from '../cli-io.js'
import { commandConfig } from '../command-config.js'
import { REGISTER_HELP } from '../help.js'
import { parseFlags } from '../parse-flags.js'

/**
 * `rhizome register`: creates an account directly in the configured database, through the same
 * accounts service as the HTTP API (so the same name rules and password hashing), whether or not
 * the server is running and whether or not registration is open.
 */
export async function registerCommand(args: readonly string[], io: CliIo): Promise<number> {
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
  const { user, password } = values
  if (user === undefined || password === undefined) {
    const missing = [user === undefined ? '--user' : [], password === undefined ? '--password' : []]
      .flat()
      .join(' and ')
    const verb = user === undefined && password === undefined ? 'are' : 'is'
    io.err(`rhizome register: ${missing} ${verb} required\n\n${REGISTER_HELP}`)
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
  const { serverName } = config.value

  // A full user ID is accepted too, if it is one of this server's.
  let localpart = user
  if (user.startsWith('@')) {
    const parsed = parseUserId(user)
    if (!parsed.ok || userIdServerName(parsed.value) !== serverName) {
      io.err(`rhizome register: --user: ${user} is not a user ID of this server (${serverName})\n`)
      return EXIT_USAGE
    }
    localpart = userIdLocalpart(parsed.value)
  }

  let storage: Storage
  try {
    storage = await openStorage(databaseUrl(config.value.database))
  } catch (e) {
    io.err(
      `rhizome register: cannot open the database ${describeDatabase(config.value.database)}: ` +
        `${e instanceof Error ? e.message : String(e)}\nNo account was created.\n`,
    )
    return EXIT_FAILURE
  }
  try {
    const accounts = createAccountService(config.value, storage, noRateLimits, Date.now)
    const userId = accounts.userIdFor(asciiLowercase(localpart))
    if (!userId.ok) {
      io.err(`rhizome register: --user: ${userId.error.error}\n`)
      return EXIT_USAGE
    }
    const created = await accounts.createAccount({
      userId: userId.value,
      password,
      admin: values.admin === true,
    })
    if (!created.ok) {
      io.err(
        `rhizome register: cannot create ${userId.value}: ${created.error.error}\n` +
          'No account was created.\n',
      )
      return created.error.errcode === 'M_USER_IN_USE' ? EXIT_FAILURE : EXIT_USAGE
    }
    io.out(
      `Created ${values.admin === true ? 'the administrator account' : 'the account'} ` +
        `${userId.value}\n`,
    )
    return EXIT_OK
  } finally {
    await storage.close()
  }
}

function databaseUrl(database: DatabaseConfig): string {
  return database.kind === 'sqlite' ? `sqlite:${database.path}` : database.url
}
