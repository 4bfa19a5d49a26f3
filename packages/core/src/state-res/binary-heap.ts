/** A binary min-heap under a comparator: `pop` returns the smallest element. */
export class BinaryHeap<T> {
  readonly #items: T[] = []
  readonly #compare: (a: T, b: T) => number

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare
  }

  get size(): number {
    return this.#items.length
  }

  push(item: T): void {
    const items = this.#items
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = items[parentIndex] as T
      if (this.#compare(item, parent) >= 0) break
      items[index] = parent
      index = parentIndex
    }
    items[index] = item
  }

  pop(): T | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    // Sift the former last element down from the root.
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= items.length) break
      const right = left + 1
      let child = left
      if (right < items.length && this.#compare(items[right] as T, items[left] as T) < 0) {
        child = right
      }
      const smallest = items[child] as T
      if (this.#compare(smallest, last) >= 0) break
      items[index] = smallest
      index = child
    }
    items[index] = last
    return top
  }
}
