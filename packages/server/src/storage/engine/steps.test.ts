import type { EventId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { EngineOps } from './engine-ops.js'
import { runAsync, runSync, step, type AsyncEngineOps, type Steps } from './steps.js'

/** A program that needs two primitives, the second depending on the first. */
function* program(): Steps<string> {
  const position = yield* step('allocateStreamPosition')
  const found = yield* step('findEvent', `$e${position}` as EventId)
  return `${position}:${found?.eventId ?? 'none'}`
}

const calls: string[] = []
const syncOps = {
  allocateStreamPosition: () => {
    calls.push('allocate')
    return 7
  },
  findEvent: (eventId: EventId) => {
    calls.push(`find ${eventId}`)
    return { eventId, streamPosition: 7, stateGroupBefore: 1, stateGroupAfter: 1 }
  },
} as Partial<EngineOps> as EngineOps

const asyncOps = {
  allocateStreamPosition: () => Promise.resolve(8),
  findEvent: () => Promise.resolve(undefined),
} as Partial<AsyncEngineOps> as AsyncEngineOps

describe('steps', () => {
  it('runSync answers each request with the named operation, in order', () => {
    calls.length = 0
    expect(runSync(program(), syncOps)).toBe('7:$e7')
    expect(calls).toEqual(['allocate', 'find $e7'])
  })

  it('runAsync awaits each operation', async () => {
    await expect(runAsync(program(), asyncOps)).resolves.toBe('8:none')
  })

  it('an operation that fails ends the program with its error', async () => {
    const failing = {
      ...asyncOps,
      allocateStreamPosition: () => Promise.reject(new Error('db down')),
    } as AsyncEngineOps
    await expect(runAsync(program(), failing)).rejects.toThrow('db down')
    const throwing = {
      ...syncOps,
      findEvent: () => {
        throw new Error('constraint')
      },
    } as EngineOps
    expect(() => runSync(program(), throwing)).toThrow('constraint')
  })
})
