/** The `rhizome` executable (bin/rhizome.js loads the compiled form of this file). */
import { createLogger } from '../logging/logger.js'
import type { CliIo } from './cli-io.js'
import { runCli } from './run-cli.js'

const io: CliIo = {
  out: (text) => {
    process.stdout.write(text)
  },
  err: (text) => {
    process.stderr.write(text)
  },
  cwd: process.cwd(),
  createLogger: (config) => createLogger(config),
  waitForShutdown: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => {
        resolve()
      })
      process.once('SIGTERM', () => {
        resolve()
      })
    }),
}

process.exitCode = await runCli(process.argv.slice(2), io)
