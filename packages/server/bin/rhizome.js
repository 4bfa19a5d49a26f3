#!/usr/bin/env -S node --optimize-for-size --v8-pool-size=1
// The `rhizome` command. It runs the compiled CLI, which `npm install` (the root's prepare script)
// or `npm run build` produces in dist/.
//
// The Node flags above (`npm start` and the test harness pass the same ones) trade little speed
// for memory: V8 favours smaller code and heap growth, and keeps one background thread instead
// of one per core. Measured on the server bench: resident memory about 81 MB idle instead of 88,
// and about 108 MB after the send benchmarks instead of 145 to 178, at the same send rates.
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
