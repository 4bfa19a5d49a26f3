import { afterEach, describe, expect, it } from 'vitest'
import { SweepTimer } from './sweep-timer.js'

const timers: SweepTimer[] = []
afterEach(async () => {
  await Promise.all(timers.splice(0).map((t) => t.close()))
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function timer(
  run: () => Promise<number | undefined>,
  intervalMs: number,
  errors: unknown[] = [],
): SweepTimer {
  const made = new SweepTimer({
    run,
    intervalMs,
    now: Date.now,
    onError: (e) => errors.push(e),
  })
  timers.push(made)
  return made
}

describe('SweepTimer', () => {
  it('runs at the interval once started', async () => {
    let runs = 0
    const t = timer(() => {
      runs++
      return Promise.resolve(undefined)
    }, 30)
    t.start()
    await sleep(200)
    expect(runs).toBeGreaterThanOrEqual(3)
  })

  it('runs at a time asked for, long before the interval, and when the sweep asks', async () => {
    const ranAt: number[] = []
    let asked = false
    const t = timer(() => {
      ranAt.push(Date.now())
      if (asked) return Promise.resolve(undefined)
      asked = true
      // The sweep wants to run again 40 ms later.
      return Promise.resolve(Date.now() + 40)
    }, 60_000)
    t.start()
    const at = Date.now() + 20
    t.wakeAt(at)
    await sleep(150)
    expect(ranAt.length).toBe(2)
    expect(ranAt[0]).toBeGreaterThanOrEqual(at)
    expect((ranAt[1] ?? 0) - (ranAt[0] ?? 0)).toBeGreaterThanOrEqual(39)
  })

  it('keeps a wake-up asked for during a sweep, and never runs two at once', async () => {
    let running = 0
    let overlap = false
    let runs = 0
    const t = timer(async () => {
      running++
      if (running > 1) overlap = true
      runs++
      await sleep(30)
      running--
      return undefined
    }, 60_000)
    t.wakeAt(Date.now())
    await sleep(10)
    t.wakeAt(Date.now())
    await sleep(100)
    expect(runs).toBe(2)
    expect(overlap).toBe(false)
  })

  it('reports a failing sweep and keeps going', async () => {
    const errors: unknown[] = []
    let runs = 0
    const t = timer(
      () => {
        runs++
        return Promise.reject(new Error(`failure ${runs}`))
      },
      20,
      errors,
    )
    t.start()
    await sleep(120)
    expect(runs).toBeGreaterThanOrEqual(2)
    expect(errors.length).toBe(runs)
  })

  it('stops when closed, waiting for a sweep in progress', async () => {
    let finished = false
    let runs = 0
    const t = timer(async () => {
      runs++
      await sleep(40)
      finished = true
      return Date.now()
    }, 10)
    t.wakeAt(Date.now())
    while (runs === 0) await sleep(1)
    await t.close()
    expect(finished).toBe(true)
    t.wakeAt(Date.now())
    await sleep(50)
    expect(runs).toBe(1)
  })
})
