/**
 * Lets downloads of media that is still being uploaded wake as soon as its content arrives
 * through this process. Other processes' uploads are noticed by the waiters' own polling.
 */
export class UploadWaiters {
  readonly #waiting = new Map<string, Set<() => void>>()

  /** Resolves when `mediaId` is announced, after `ms`, or when `signal` aborts, whichever first. */
  wait(mediaId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        const set = this.#waiting.get(mediaId)
        set?.delete(done)
        if (set?.size === 0) this.#waiting.delete(mediaId)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      if (signal?.aborted === true) {
        done()
        return
      }
      signal?.addEventListener('abort', done, { once: true })
      const set = this.#waiting.get(mediaId) ?? new Set<() => void>()
      set.add(done)
      this.#waiting.set(mediaId, set)
    })
  }

  announce(mediaId: string): void {
    const set = this.#waiting.get(mediaId)
    if (set === undefined) return
    for (const wake of [...set]) wake()
  }
}
