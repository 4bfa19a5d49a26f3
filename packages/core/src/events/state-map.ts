/**
 * A room state keyed by (event type, state key). Nested maps rather than a joined string key,
 * because both parts may contain any character, so no separator is safe.
 */
export interface ReadonlyStateMap<V> extends Iterable<
  readonly [type: string, stateKey: string, value: V]
> {
  readonly size: number
  get(type: string, stateKey: string): V | undefined
  has(type: string, stateKey: string): boolean
}

export class StateMap<V> implements ReadonlyStateMap<V> {
  readonly #byType = new Map<string, Map<string, V>>()
  #size = 0

  constructor(entries?: Iterable<readonly [string, string, V]>) {
    if (entries) for (const [type, stateKey, value] of entries) this.set(type, stateKey, value)
  }

  get size(): number {
    return this.#size
  }

  get(type: string, stateKey: string): V | undefined {
    return this.#byType.get(type)?.get(stateKey)
  }

  has(type: string, stateKey: string): boolean {
    return this.#byType.get(type)?.has(stateKey) ?? false
  }

  set(type: string, stateKey: string, value: V): this {
    let inner = this.#byType.get(type)
    if (inner === undefined) {
      inner = new Map()
      this.#byType.set(type, inner)
    }
    if (!inner.has(stateKey)) this.#size++
    inner.set(stateKey, value)
    return this
  }

  delete(type: string, stateKey: string): boolean {
    const inner = this.#byType.get(type)
    if (inner === undefined || !inner.delete(stateKey)) return false
    if (inner.size === 0) this.#byType.delete(type)
    this.#size--
    return true
  }

  /** The entries of one event type, e.g. every `m.room.member`. */
  *ofType(type: string): IterableIterator<readonly [stateKey: string, value: V]> {
    const inner = this.#byType.get(type)
    if (inner) yield* inner
  }

  *[Symbol.iterator](): IterableIterator<readonly [string, string, V]> {
    for (const [type, inner] of this.#byType) {
      for (const [stateKey, value] of inner) yield [type, stateKey, value]
    }
  }

  clone(): StateMap<V> {
    return new StateMap(this)
  }
}
