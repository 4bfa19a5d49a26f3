import { describe, expect, it } from 'vitest'
import { KeyedMutex, Semaphore } from './keyed-mutex.js'

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1))

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in arrival order', async () => {
    const mutex = new KeyedMutex()
    const log: string[] = []
    let inside = 0
    const job = (name: string) =>
      mutex.run('room', async () => {
        inside++
        expect(inside).toBe(1)
        log.push(`start ${name}`)
        await tick()
        log.push(`end ${name}`)
        inside--
        return name
      })
    const results = await Promise.all([job('a'), job('b'), job('c')])
    expect(results).toEqual(['a', 'b', 'c'])
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(mutex.activeKeys).toBe(0)
  })

  it('lets different keys run at the same time', async () => {
    const mutex = new KeyedMutex()
    let concurrent = 0
    let peak = 0
    const job = (key: string) =>
      mutex.run(key, async () => {
        concurrent++
        peak = Math.max(peak, concurrent)
        await tick()
        concurrent--
      })
    await Promise.all([job('a'), job('b'), job('c')])
    expect(peak).toBe(3)
  })

  it('releases the key when the holder throws', async () => {
    const mutex = new KeyedMutex()
    await expect(mutex.run('room', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(mutex.run('room', () => Promise.resolve(1))).resolves.toBe(1)
    expect(mutex.activeKeys).toBe(0)
  })
})

describe('Semaphore', () => {
  it('never lets more than its size run at once, and runs everyone', async () => {
    const semaphore = new Semaphore(2)
    let concurrent = 0
    let peak = 0
    const done: number[] = []
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        semaphore.run(async () => {
          concurrent++
          peak = Math.max(peak, concurrent)
          await tick()
          concurrent--
          done.push(n)
        }),
      ),
    )
    expect(peak).toBe(2)
    expect(done.sort()).toEqual([1, 2, 3, 4, 5])
  })

  it('frees the slot when the job throws', async () => {
    const semaphore = new Semaphore(1)
    await expect(semaphore.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x')
    await expect(semaphore.run(() => Promise.resolve('ok'))).resolves.toBe('ok')
  })

  it('rejects a size below one', () => {
    expect(() => new Semaphore(0)).toThrow()
  })
})
