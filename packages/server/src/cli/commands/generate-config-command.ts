import { formatConfigError } from '../../config/config-error.js'
import { generateConfig } from '../../config/generate-config.js'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from '../cli-io.js'
import { GENERATE_CONFIG_HELP } from '../help.js'
import { parseFlags } from '../parse-flags.js'

export function generateConfigCommand(args: readonly string[], io: CliIo): number {
  const flags = parseFlags(args, {
    'server-name': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  })
  if (!flags.ok) {
    io.err(`rhizome generate-config: ${flags.error}\n\n${GENERATE_CONFIG_HELP}`)
    return EXIT_USAGE
  }
  if (flags.value.help === true) {
    io.out(GENERATE_CONFIG_HELP)
    return EXIT_OK
  }
  const serverName = flags.value['server-name']
  if (serverName === undefined) {
    io.err(`rhizome generate-config: --server-name is required\n\n${GENERATE_CONFIG_HELP}`)
    return EXIT_USAGE
  }
  const text = generateConfig(serverName)
  if (!text.ok) {
    io.err(text.error.map((e) => `rhizome generate-config: ${formatConfigError(e)}\n`).join(''))
    return EXIT_FAILURE
  }
  io.out(text.value)
  return EXIT_OK
}
