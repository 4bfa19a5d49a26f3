/**
 * Runs every benchmark section: each `bench/*.bench.ts` module exports `run()`, which prints its
 * figures beside a baseline measured in the same run. Sections run in file-name order. Arguments
 * filter them by file name: `npm run bench -w @rhizome/core -- canonical parse`.
 *
 * Adding a section means adding a `something.bench.ts` here; this file needs no change.
 */
import { readdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { CLOCK, sinkValue } from './harness.js'

interface BenchModule {
  run(): void | Promise<void>
}

const filters = process.argv.slice(2)
const dir = new URL('.', import.meta.url)
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort()

console.log(
  `# @rhizome/core benchmarks: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`,
)
console.log(
  `# one thread; rates per second of ${CLOCK === 'cpu' ? 'CPU' : 'wall'} time, each the median of` +
    ' alternating rounds beside its baseline',
)
for (const file of files) {
  const module = (await import(new URL(file, dir).href)) as BenchModule
  await module.run()
}
if (sinkValue() < 0) console.log(sinkValue())
