import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification } from '../interface.js'
import { StreamEmitter } from './stream-emitter.js'

const note: StreamNotification = {
  position: 4,
  roomIds: ['!r:x' as RoomId],
  userIds: [],
  catchUp: false,
}

describe('StreamEmitter', () => {
  it('delivers to every subscriber until it unsubscribes', () => {
    const emitter = new StreamEmitter(() => undefined)
    const seen: number[] = []
    const stop = emitter.subscribe((n) => seen.push(n.position))
    emitter.subscribe((n) => seen.push(n.position * 10))
    emitter.emit(note)
    stop()
    emitter.emit({ ...note, position: 5 })
    expect(seen).toEqual([4, 40, 50])
    expect(emitter.listenerCount).toBe(1)
  })

  it('keeps going when a listener throws, and reports the error', () => {
    const errors: unknown[] = []
    const emitter = new StreamEmitter((e) => errors.push(e))
    const seen: number[] = []
    emitter.subscribe(() => {
      throw new Error('boom')
    })
    emitter.subscribe((n) => seen.push(n.position))
    emitter.emit(note)
    expect(seen).toEqual([4])
    expect(errors).toHaveLength(1)
  })

  it('the same function subscribed twice is called twice and removed once per unsubscribe', () => {
    const emitter = new StreamEmitter(() => undefined)
    let calls = 0
    const listener = (): void => {
      calls++
    }
    const stopFirst = emitter.subscribe(listener)
    emitter.subscribe(listener)
    emitter.emit(note)
    stopFirst()
    emitter.emit(note)
    expect(calls).toBe(3)
  })
})
