import { serves } from '../../app/routes.js'
import { startHomeserver } from '../../app/start-homeserver.js'
import { releaseYoungGeneration } from '../young-generation.js'
import { startupBanner } from '../banner.js'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from '../cli-io.js'
import { commandConfig } from '../command-config.js'
import { START_HELP } from '../help.js'
import { parseFlags } from '../parse-flags.js'

/** `rhizome start`: load and check the configuration, start, run until told to stop. */
export async function startCommand(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    'server-name': { type: 'string' },
    listen: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    database: { type: 'string' },
    dev: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (!flags.ok) {
    io.err(`rhizome start: ${flags.error}\n\n${START_HELP}`)
    return EXIT_USAGE
  }
  const values = flags.value
  if (values.help === true) {
    io.out(START_HELP)
    return EXIT_OK
  }
  const config = commandConfig(
    'start',
    {
      config: values.config,
      dev: values.dev,
      overrides: {
        ...(values['server-name'] === undefined ? {} : { serverName: values['server-name'] }),
        ...(values.listen === undefined ? {} : { listen: values.listen }),
        ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
        ...(values.database === undefined ? {} : { database: values.database }),
      },
    },
    io.cwd,
  )
  if (!config.ok) {
    io.err(config.error)
    return EXIT_FAILURE
  }
  const logger = io.createLogger(config.value.log)
  const server = await startHomeserver(config.value, logger)
  releaseYoungGeneration()
  if (!server.ok) {
    io.err(`rhizome start: ${server.error}\nNothing was started.\n`)
    return EXIT_FAILURE
  }
  const registerCommand =
    values.dev === true
      ? 'npx rhizome register --dev'
      : `npx rhizome register --config ${values.config ?? 'FILE'}`
  const loginAvailable = serves('POST', '/_matrix/client/v3/login')
  io.out(startupBanner(server.value, { registerCommand, loginAvailable }))
  await io.waitForShutdown(server.value)
  logger.info('shutting down')
  await server.value.close()
  return EXIT_OK
}
