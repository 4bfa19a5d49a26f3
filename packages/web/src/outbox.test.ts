import { describe, expect, it } from 'vitest'
import { Outbox, keyValueOutboxStorage, outboxKey, type OutboxEntry } from './outbox'
import { MemoryStore } from './session'

class Unreachable extends Error {}

/** A homeserver stand-in that stores events by transaction ID, as a real one does. */
class FakeServer {
  reachable = true
  /** When set, the next send reaches the server but its response is lost. */
  loseNextResponse = false
  readonly attempts: string[] = []
  readonly timeline: { txnId: string; body: string }[] = []

  readonly transport = (entry: OutboxEntry): Promise<void> => {
    this.attempts.push(entry.txnId)
    if (!this.reachable) return Promise.reject(new Unreachable('offline'))
    if (!this.timeline.some((event) => event.txnId === entry.txnId)) {
      this.timeline.push({ txnId: entry.txnId, body: entry.content.body })
    }
    if (this.loseNextResponse) {
      this.loseNextResponse = false
      return Promise.reject(new Unreachable('connection reset'))
    }
    return Promise.resolve()
  }
}

function outboxFor(server: FakeServer, store = new MemoryStore()) {
  let counter = 0
  return new Outbox({
    storage: keyValueOutboxStorage(store, outboxKey('@me:hs')),
    transport: server.transport,
    isRetryable: (error) => error instanceof Unreachable,
    newTxnId: () => `txn${++counter}`,
    now: () => 1000,
  })
}

const text = (body: string) => ({ msgtype: 'm.text' as const, body })

describe('Outbox', () => {
  it('holds messages while unreachable and sends them in order later', async () => {
    const server = new FakeServer()
    server.reachable = false
    const outbox = outboxFor(server)
    for (const body of ['one', 'two', 'three']) {
      outbox.enqueue('!r:hs', text(body))
      await outbox.flush()
    }
    expect(server.timeline).toEqual([])
    expect(outbox.entries.map((e) => e.content.body)).toEqual(['one', 'two', 'three'])
    // Only the head is tried each time: later messages never overtake it.
    expect(new Set(server.attempts)).toEqual(new Set(['txn1']))

    server.reachable = true
    await outbox.flush()
    expect(server.timeline.map((e) => e.body)).toEqual(['one', 'two', 'three'])
    expect(outbox.entries).toEqual([])
  })

  it('survives a reload through its storage', async () => {
    const store = new MemoryStore()
    const server = new FakeServer()
    server.reachable = false
    const before = outboxFor(server, store)
    before.enqueue('!r:hs', text('kept'))
    before.enqueue('!r:hs', text('also kept'))
    await before.flush()

    const after = outboxFor(server, store)
    expect(after.entries.map((e) => [e.txnId, e.content.body])).toEqual([
      ['txn1', 'kept'],
      ['txn2', 'also kept'],
    ])
    server.reachable = true
    await after.flush()
    expect(server.timeline.map((e) => e.body)).toEqual(['kept', 'also kept'])
    expect(store.getItem(outboxKey('@me:hs'))).toBeNull()
  })

  it('retries with the same transaction ID so a lost response never duplicates', async () => {
    const server = new FakeServer()
    server.loseNextResponse = true
    const outbox = outboxFor(server)
    outbox.enqueue('!r:hs', text('once'))
    await outbox.flush()
    expect(outbox.entries).toHaveLength(1)
    await outbox.flush()
    expect(server.attempts).toEqual(['txn1', 'txn1'])
    expect(server.timeline).toEqual([{ txnId: 'txn1', body: 'once' }])
    expect(outbox.entries).toEqual([])
  })

  it('joins a running flush instead of sending twice', async () => {
    const server = new FakeServer()
    const outbox = outboxFor(server)
    outbox.enqueue('!r:hs', text('a'))
    outbox.enqueue('!r:hs', text('b'))
    await Promise.all([outbox.flush(), outbox.flush(), outbox.flush()])
    expect(server.attempts).toEqual(['txn1', 'txn2'])
  })

  it('drops a message the server refuses for good and carries on', async () => {
    const rejected: string[] = []
    let counter = 0
    const sent: string[] = []
    const outbox = new Outbox({
      storage: keyValueOutboxStorage(new MemoryStore(), outboxKey('@me:hs')),
      transport: (entry) => {
        if (entry.content.body === 'forbidden') return Promise.reject(new Error('M_FORBIDDEN'))
        sent.push(entry.content.body)
        return Promise.resolve()
      },
      isRetryable: () => false,
      newTxnId: () => `t${++counter}`,
      onRejected: (entry) => rejected.push(entry.content.body),
    })
    outbox.enqueue('!r:hs', text('forbidden'))
    outbox.enqueue('!r:hs', text('fine'))
    await outbox.flush()
    expect(rejected).toEqual(['forbidden'])
    expect(sent).toEqual(['fine'])
  })
})
