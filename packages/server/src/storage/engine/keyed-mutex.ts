/**
 * One async mutex per key (a room ID): callers with the same key run one after the other, in
 * arrival order; different keys do not wait for each other. Idle keys hold no memory.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    let release!: () => void
    const done = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous === undefined ? done : previous.then(() => done)
    this.#tails.set(key, tail)
    try {
      if (previous !== undefined) await previous
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }

  /** Keys with a holder or waiters. */
  get activeKeys(): number {
    return this.#tails.size
  }
}

/** Limits how many callers run at once; the others wait in arrival order. */
export class Semaphore {
  #free: number
  readonly #waiters: (() => void)[] = []

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`semaphore size must be >= 1: ${size}`)
    this.#free = size
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiters.push(resolve))
    try {
      return await fn()
    } finally {
      const next = this.#waiters.shift()
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      if (next === undefined) this.#free++
      else next()
    }
  }
}
