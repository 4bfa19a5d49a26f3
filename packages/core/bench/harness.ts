/**
 * A small timing helper shared by the benchmark sections. Each comparison warms both functions up,
 * then measures them in alternating rounds of a fixed time, so that a noisy neighbour or a CPU
 * frequency change hits both alike, and reports the median round of each. Rates are per second of
 * CPU time by default (see {@link CLOCK}).
 */

export interface CompareOptions {
  /** Bytes one operation processes, to print a throughput in MB/s beside the rate. */
  readonly bytesPerOp?: number
  /** Bytes one baseline operation processes, when it differs from the measured one. */
  readonly baselineBytesPerOp?: number
}

export interface Comparison {
  readonly name: string
  readonly opsPerSecond: number
  readonly baselineOpsPerSecond: number
  readonly ratio: number
}

/** Milliseconds of warm-up per function, and of each measured round. */
const WARM_UP_MS = Number(process.env['BENCH_WARM_UP_MS'] ?? 300)
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 400)
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5)

/** Keeps results alive so the engine cannot drop the work that produced them. */
let sink = 0

function consume(value: unknown): void {
  if (value === undefined || value === null || value === false) sink++
}

/**
 * Which clock rates are computed against: `cpu` (the default) is the CPU time this process used,
 * which is what "per core" means and which a busy machine disturbs far less than wall time; `wall`
 * is elapsed time. Set BENCH_CLOCK=wall to switch.
 */
export const CLOCK: 'cpu' | 'wall' = process.env['BENCH_CLOCK'] === 'wall' ? 'wall' : 'cpu'

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/**
 * Runs `op(i)` for i = 0, 1, 2, ... (callers index into their inputs modulo their length) for `ms`
 * milliseconds of wall time, checking the clocks every `batch` calls. Returns operations per second
 * of the chosen {@link CLOCK}.
 */
export function rate(op: (i: number) => unknown, ms: number, batch = 64): number {
  let count = 0
  const startCpu = cpuMicros()
  const start = performance.now()
  let elapsed = 0
  do {
    for (let k = 0; k < batch; k++) consume(op(count + k))
    count += batch
    elapsed = performance.now() - start
  } while (elapsed < ms)
  const seconds = CLOCK === 'cpu' ? (cpuMicros() - startCpu) / 1e6 : elapsed / 1000
  return count / seconds
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

function format(opsPerSecond: number, bytesPerOp: number | undefined): string {
  const ops = Math.round(opsPerSecond).toLocaleString('en-US')
  if (bytesPerOp === undefined) return `${ops} ops/s`
  const mb = (opsPerSecond * bytesPerOp) / 1e6
  return `${ops} ops/s, ${mb.toFixed(1)} MB/s`
}

/**
 * Measures `op` beside `baseline` and prints
 * `name: X ops/s (baseline Y ops/s, ratio Z)`, where the ratio is X / Y.
 */
export function compare(
  name: string,
  op: (i: number) => unknown,
  baseline: (i: number) => unknown,
  options: CompareOptions = {},
): Comparison {
  rate(op, WARM_UP_MS)
  rate(baseline, WARM_UP_MS)
  const measured: number[] = []
  const baselines: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    measured.push(rate(op, ROUND_MS))
    baselines.push(rate(baseline, ROUND_MS))
  }
  const opsPerSecond = median(measured)
  const baselineOpsPerSecond = median(baselines)
  const ratio = opsPerSecond / baselineOpsPerSecond
  const baselineBytes = options.baselineBytesPerOp ?? options.bytesPerOp
  console.log(
    `${name}: ${format(opsPerSecond, options.bytesPerOp)} ` +
      `(baseline ${format(baselineOpsPerSecond, baselineBytes)}, ratio ${ratio.toFixed(2)})`,
  )
  return { name, opsPerSecond, baselineOpsPerSecond, ratio }
}

/** Prints a section heading. */
export function section(title: string, detail?: string): void {
  console.log(`\n## ${title}${detail === undefined ? '' : ` (${detail})`}`)
}

/** The sink, for a final print that stops dead-code elimination across the whole run. */
export function sinkValue(): number {
  return sink
}

/** The mean UTF-8 size of some strings, for throughput figures. */
export function meanUtf8Bytes(texts: readonly string[]): number {
  let total = 0
  for (const text of texts) total += Buffer.byteLength(text, 'utf8')
  return total / texts.length
}
