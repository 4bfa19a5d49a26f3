import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const MODULE = fileURLToPath(new URL('./young-generation.ts', import.meta.url))

/**
 * The young generation's size (MB) in a fresh process after a startup-like burst of allocations
 * that stay alive, with growth held or not, and after release and a second burst.
 */
function youngGenerationAfterBurst(hold: boolean): { afterStartup: number; afterLoad: number } {
  const script = `
    import v8 from 'node:v8'
    import { holdYoungGeneration, releaseYoungGeneration } from ${JSON.stringify(MODULE)}
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576
    ${hold ? 'holdYoungGeneration()' : ''}
    const kept = []
    const burst = () => { for (let i = 0; i < 300000; i++) kept.push({ i, text: 'x' + i }) }
    burst()
    const afterStartup = young()
    releaseYoungGeneration()
    burst()
    console.log(JSON.stringify({ afterStartup, afterLoad: young() }))
  `
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  )
  return JSON.parse(out) as { afterStartup: number; afterLoad: number }
}

describe('holding the young generation during startup', () => {
  it('keeps it small through a burst of long-lived allocations, and lets it grow after', () => {
    const held = youngGenerationAfterBurst(true)
    const free = youngGenerationAfterBurst(false)
    expect(held.afterStartup).toBeLessThan(free.afterStartup)
    expect(held.afterLoad).toBeGreaterThan(held.afterStartup)
  })
})
