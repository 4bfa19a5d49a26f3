import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BinaryHeap } from './binary-heap.js'

describe('BinaryHeap', () => {
  it('pops in comparator order, and undefined when empty', () => {
    const heap = new BinaryHeap<number>((a, b) => a - b)
    expect(heap.pop()).toBeUndefined()
    for (const n of [5, 1, 4, 1, 3]) heap.push(n)
    expect(heap.size).toBe(5)
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([
      1,
      1,
      3,
      4,
      5,
      undefined,
    ])
  })

  it('sorts like Array.prototype.sort, with pushes between pops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('pop' as const))), (ops) => {
        const heap = new BinaryHeap<number>((a, b) => a - b)
        const model: number[] = []
        for (const op of ops) {
          if (op === 'pop') {
            model.sort((a, b) => a - b)
            expect(heap.pop()).toBe(model.shift())
          } else {
            heap.push(op)
            model.push(op)
          }
          expect(heap.size).toBe(model.length)
        }
      }),
    )
  })
})
