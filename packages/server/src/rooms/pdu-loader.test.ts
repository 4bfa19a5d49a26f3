import type { EventId, Pdu } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { EventStore, StoredEvent } from '../storage/interface.js'
import { PduLoader } from './pdu-loader.js'

function fakeStore(known: readonly string[]): { store: EventStore; calls: EventId[][] } {
  const calls: EventId[][] = []
  const getEvents = (ids: readonly EventId[]): Promise<ReadonlyMap<EventId, StoredEvent>> => {
    calls.push([...ids])
    const out = new Map<EventId, StoredEvent>()
    for (const id of ids) {
      if (known.includes(id)) out.set(id, { pdu: { eventId: id } as Pdu } as StoredEvent)
    }
    return Promise.resolve(out)
  }
  return { store: { getEvents } as unknown as EventStore, calls }
}

const id = (s: string): EventId => s as EventId

describe('PduLoader', () => {
  it('loads each event from storage once, in one batch per call', async () => {
    const { store, calls } = fakeStore(['$a', '$b'])
    const loader = new PduLoader(store)
    const first = await loader.load([id('$a'), id('$b'), id('$a'), id('$missing')])
    expect([...first.keys()].sort()).toEqual(['$a', '$b'])
    expect(calls).toEqual([['$a', '$b', '$missing']])
    await loader.load([id('$a'), id('$b')])
    expect(calls).toHaveLength(1)
    expect(await loader.loadOne(id('$missing'))).toBeUndefined()
    expect(calls).toHaveLength(2)
  })

  it('forgets the least recently used beyond its capacity', async () => {
    const { store, calls } = fakeStore(['$a', '$b', '$c'])
    const loader = new PduLoader(store, 2)
    await loader.load([id('$a'), id('$b')])
    await loader.load([id('$a')])
    loader.remember({ eventId: id('$c') } as Pdu)
    expect(loader.size).toBe(2)
    calls.length = 0
    await loader.load([id('$a'), id('$c')])
    expect(calls).toEqual([])
    await loader.load([id('$b')])
    expect(calls).toEqual([['$b']])
  })
})
