import { EXIT_OK, EXIT_USAGE, type CliIo } from './cli-io.js'
import { generateConfigCommand } from './commands/generate-config-command.js'
import { registerCommand } from './commands/register-command.js'
import { startCommand } from './commands/start-command.js'
import { MAIN_HELP } from './help.js'

/** Runs one `rhizome` command line (without the program name) and returns its exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv
  switch (command) {
    case 'start':
      return startCommand(args, io)
    case 'generate-config':
      return generateConfigCommand(args, io)
    case 'register':
      return registerCommand(args, io)
    case '--help':
    case '-h':
    case 'help':
      io.out(MAIN_HELP)
      return EXIT_OK
    case undefined:
      io.err(MAIN_HELP)
      return EXIT_USAGE
    default:
      io.err(`rhizome: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`)
      return EXIT_USAGE
  }
}
