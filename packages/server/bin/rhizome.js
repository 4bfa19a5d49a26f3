#!/usr/bin/env node
// The `rhizome` command. It runs the compiled CLI, which `npm install` (the root's prepare script)
// or `npm run build` produces in dist/.
import process from 'node:process'

try {
  // Before the CLI and everything it imports are loaded (see young-generation.ts).
  const { holdYoungGeneration } = await import('../dist/cli/young-generation.js')
  holdYoungGeneration()
  await import('../dist/cli/main.js')
} catch (error) {
  if (
    error &&
    error.code === 'ERR_MODULE_NOT_FOUND' &&
    String(error.message).includes('/dist/cli/')
  ) {
    process.stderr.write(
      'rhizome: the server is not built yet: run `npm run build` in the repository root\n',
    )
    process.exitCode = 1
  } else {
    throw error
  }
}
