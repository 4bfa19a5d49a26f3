/**
 * Runs a background sweep (typing expiry, presence timeouts) at the times it asks for, and at
 * least every `intervalMs`. One sweep at a time: a wake-up that arrives during a sweep is kept
 * for after it. A sweep that fails is reported and retried at the next interval, so a database
 * hiccup never stops the timer. The timer does not keep the process alive on its own.
 */
export interface SweepOptions {
  /** The sweep; resolves to when it wants to run next (undefined: at the next interval). */
  readonly run: () => Promise<number | undefined>
  readonly intervalMs: number
  /** Wall-clock milliseconds, the clock the wanted times are in. */
  readonly now: () => number
  readonly onError: (error: unknown) => void
}

export class SweepTimer {
  readonly #options: SweepOptions
  #timer: NodeJS.Timeout | undefined
  /** When the pending timer fires. */
  #at = Number.POSITIVE_INFINITY
  #running = false
  /** The earliest wake-up asked for while a sweep ran. */
  #wanted = Number.POSITIVE_INFINITY
  #closed = false
  #idle: Promise<void> = Promise.resolve()

  constructor(options: SweepOptions) {
    if (!(options.intervalMs > 0)) throw new Error(`intervalMs must be positive`)
    this.#options = options
  }

  /** Starts the interval: the first sweep runs one interval from now. */
  start(): void {
    this.wakeAt(this.#options.now() + this.#options.intervalMs)
  }

  /** Makes sure a sweep runs at `at` (or sooner). */
  wakeAt(at: number): void {
    if (this.#closed) return
    if (this.#running) {
      this.#wanted = Math.min(this.#wanted, at)
      return
    }
    if (at >= this.#at) return
    clearTimeout(this.#timer)
    this.#at = at
    // One millisecond late rather than early: the sweep compares wall-clock times.
    const delay = Math.max(0, at - this.#options.now() + 1)
    this.#timer = setTimeout(() => {
      this.#fire()
    }, delay)
    this.#timer.unref()
  }

  /** Stops the timer and waits for a sweep in progress to end. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#idle
  }

  #fire(): void {
    this.#timer = undefined
    this.#at = Number.POSITIVE_INFINITY
    this.#running = true
    this.#idle = this.#sweep()
  }

  async #sweep(): Promise<void> {
    const { run, now, intervalMs, onError } = this.#options
    let next: number | undefined
    try {
      next = await run()
    } catch (error) {
      onError(error)
    }
    this.#running = false
    const wanted = this.#wanted
    this.#wanted = Number.POSITIVE_INFINITY
    this.wakeAt(Math.min(next ?? Number.POSITIVE_INFINITY, wanted, now() + intervalMs))
  }
}
