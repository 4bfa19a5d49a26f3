import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  err,
  ok,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { captureLogs } from '../../testing/capture-logs.js'
import type { Storage } from '../../storage/interface.js'
import type { OutboundPdu } from '../../storage/federation-queue-store.js'
import { openStorage } from '../../storage/open-storage.js'
import { PostgresTestSchemas } from '../../storage/postgres/postgres-test-schema.js'
import type {
  FederationFailure,
  FederationRequestOptions,
  FederationRequester,
  FederationResponse,
} from '../transport/federation-client.js'
import { FederationSender, type FederationSenderOptions } from './federation-sender.js'

const us = 'us.test' as ServerName
const remote = 'remote.test' as ServerName
const second = 'second.test:8448' as ServerName
const roomA = '!a:us.test' as RoomId
const roomB = '!b:us.test' as RoomId

function pdu(n: number, roomId: RoomId = roomA): OutboundPdu {
  return {
    roomId,
    eventId: `$e${String(n)}` as EventId,
    pdu: { room_id: roomId, type: 'm.room.message', depth: n, content: { body: String(n) } },
  }
}

const edu = (n: number) => ({ edu_type: 'm.typing', content: { n } })

type Reply = Result<FederationResponse, FederationFailure>

interface SentTransaction {
  /** Which requester sent it, when several share one record. */
  readonly by: string
  readonly destination: ServerName
  readonly txnId: string
  readonly body: JsonObject
  readonly at: number
}

/** Records every transaction; answers with `reply`, after `delayMs`. */
class FakeRequester implements Pick<FederationRequester, 'request'> {
  readonly sent: SentTransaction[] = []
  reply: (sent: SentTransaction) => Reply = () => ok({ status: 200, body: { pdus: {} } })
  delayMs = 0
  readonly #inFlight = new Map<ServerName, number>()
  maxInFlightPerDestination = 0
  maxInFlight = 0

  request(
    destination: ServerName,
    method: string,
    path: string,
    body?: JsonObject,
    options?: FederationRequestOptions,
  ): Promise<Reply> {
    return this.#record('', destination, method, path, body, options)
  }

  /** A requester for another process, recorded here too. */
  as(by: string): Pick<FederationRequester, 'request'> {
    return {
      request: (destination, method, path, body, options) =>
        this.#record(by, destination, method, path, body, options),
    }
  }

  async #record(
    by: string,
    destination: ServerName,
    method: string,
    path: string,
    body: JsonObject | undefined,
    options: FederationRequestOptions | undefined,
  ): Promise<Reply> {
    expect(method).toBe('PUT')
    const match = /^\/_matrix\/federation\/v1\/send\/([^/]+)$/.exec(path)
    if (match?.[1] === undefined || body === undefined) throw new Error(`unexpected ${path}`)
    const sent = { by, destination, txnId: decodeURIComponent(match[1]), body, at: Date.now() }
    this.sent.push(sent)
    const mine = (this.#inFlight.get(destination) ?? 0) + 1
    this.#inFlight.set(destination, mine)
    this.maxInFlightPerDestination = Math.max(this.maxInFlightPerDestination, mine)
    const all = [...this.#inFlight.values()].reduce((a, b) => a + b, 0)
    this.maxInFlight = Math.max(this.maxInFlight, all)
    try {
      if (this.delayMs > 0) await abortableSleep(this.delayMs, options?.signal)
      if (options?.signal?.aborted === true) return err({ kind: 'unreachable', message: 'aborted' })
      return this.reply(sent)
    } finally {
      this.#inFlight.set(destination, (this.#inFlight.get(destination) ?? 1) - 1)
    }
  }

  to(destination: ServerName): SentTransaction[] {
    return this.sent.filter((s) => s.destination === destination)
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

const depths = (sent: readonly SentTransaction[]): number[] =>
  sent.flatMap((s) => (s.body['pdus'] as readonly JsonObject[]).map((p) => Number(p['depth'])))

const unreachable = (): Reply => err({ kind: 'unreachable', message: 'connection refused' })

const dir = mkdtempSync(join(tmpdir(), 'rhizome-sender-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})
let dbCounter = 0

describe('FederationSender', () => {
  const storages: Storage[] = []
  const senders: FederationSender[] = []
  let logs = captureLogs({ level: 'debug' })

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    vi.setSystemTime(1_800_000_000_000)
    logs = captureLogs({ level: 'debug' })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(senders.splice(0).map((s) => s.close()))
    await Promise.all(storages.splice(0).map((s) => s.close()))
  })

  async function openDb(path = join(dir, `db-${String(++dbCounter)}`, 'rhizome.db')) {
    const storage = await openStorage(`sqlite:${path}`)
    storages.push(storage)
    return { storage, path }
  }

  function sender(
    storage: Storage,
    requester: FakeRequester,
    options: Partial<FederationSenderOptions> = {},
  ): FederationSender {
    const made = new FederationSender({
      serverName: us,
      queue: storage.federationQueue,
      requester,
      logger: logs.logger,
      ...options,
    })
    senders.push(made)
    return made
  }

  /** Lets queued work run, with the fake clock moved on by `ms`. */
  async function run(ms = 0): Promise<void> {
    for (let i = 0; i < 20; i++) await vi.advanceTimersByTimeAsync(0)
    if (ms > 0) await vi.advanceTimersByTimeAsync(ms)
    for (let i = 0; i < 20; i++) await vi.advanceTimersByTimeAsync(0)
  }

  it('sends transactions of at most 50 PDUs and 100 EDUs, oldest first, with its origin', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    const s = sender(storage, requester)
    for (let n = 1; n <= 120; n++) await s.enqueuePdu([remote], pdu(n))
    for (let n = 1; n <= 250; n++) await s.enqueueEdu([remote, us], edu(n))
    expect(requester.sent).toEqual([])
    await s.start()
    await run()

    const sent = requester.to(remote)
    expect(sent.map((t) => (t.body['pdus'] as unknown[]).length)).toEqual([50, 50, 20])
    expect(sent.map((t) => (t.body['edus'] as unknown[] | undefined)?.length)).toEqual([
      100, 100, 50,
    ])
    expect(depths(sent)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1))
    expect(sent.flatMap((t) => t.body['edus'] as unknown[])).toEqual(
      Array.from({ length: 250 }, (_, i) => edu(i + 1)),
    )
    for (const t of sent) {
      expect(t.body['origin']).toBe(us)
      expect(t.body['origin_server_ts']).toBe(1_800_000_000_000)
    }
    expect(new Set(sent.map((t) => t.txnId)).size).toBe(3)
    // Nothing goes to ourselves.
    expect(requester.to(us)).toEqual([])
    expect(await storage.federationQueue.queuedDestinations()).toEqual([])
  })

  it('keeps one transaction in flight per destination, in order, destinations in parallel', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.delayMs = 100
    const s = sender(storage, requester)
    await s.start()
    for (let n = 1; n <= 10; n++) {
      await s.enqueuePdu([remote, second], pdu(n))
      await run(15)
    }
    await run(1_000)
    expect(requester.maxInFlightPerDestination).toBe(1)
    expect(requester.maxInFlight).toBe(2)
    for (const destination of [remote, second]) {
      const sent = requester.to(destination)
      expect(depths(sent)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      // Queued while one was in flight: batched into the next transaction.
      expect(sent.length).toBeLessThan(10)
    }
  })

  it('limits the transactions in flight over every destination', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.delayMs = 100
    const s = sender(storage, requester, { maxParallelSends: 2 })
    const destinations = [1, 2, 3, 4, 5].map((n) => `s${String(n)}.test` as ServerName)
    await s.enqueuePdu(destinations, pdu(1))
    await s.start()
    await run(1_000)
    expect(requester.maxInFlight).toBe(2)
    expect(requester.sent.map((t) => t.destination).sort()).toEqual(destinations)
  })

  it('retries with exponential backoff under the same txnId, then recovers', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    let failures = 4
    requester.reply = () => {
      if (failures-- > 0) return unreachable()
      return ok({ status: 200, body: { pdus: { $e1: {} } } })
    }
    const s = sender(storage, requester, { retry: { initialMs: 10_000, multiplier: 2 } })
    await s.start()
    const t0 = Date.now()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    expect(requester.sent.length).toBe(1)
    expect(await storage.federationQueue.status(remote)).toMatchObject({
      retryLastTs: t0,
      retryInterval: 10_000,
    })

    // Queued during the backoff: waits too.
    await s.enqueuePdu([remote], pdu(2))
    await run(9_000)
    expect(requester.sent.length).toBe(1)
    await run(1_010)
    expect(requester.sent.length).toBe(2)
    await run(20_010)
    expect(requester.sent.length).toBe(3)
    await run(40_010)
    expect(requester.sent.length).toBe(4)
    await run(80_010)

    const sent = requester.sent
    // Each retry comes at its time (the timer fires a millisecond late, never early).
    const expected = [0, 10_000, 30_000, 70_000, 150_000, 150_000]
    sent.forEach((t, i) => {
      expect(t.at - t0 - (expected[i] ?? 0)).toBeGreaterThanOrEqual(0)
      expect(t.at - t0 - (expected[i] ?? 0)).toBeLessThan(10)
    })
    expect(sent.length).toBe(6)
    // The first five are one transaction, sent again as it was.
    const first = sent[0]
    for (const retry of sent.slice(1, 5)) {
      expect(retry.txnId).toBe(first?.txnId)
      expect(retry.body).toEqual(first?.body)
    }
    expect(depths(sent.slice(0, 1))).toEqual([1])
    expect(sent[5]?.txnId).not.toBe(first?.txnId)
    expect(depths(sent.slice(5))).toEqual([2])
    expect(await storage.federationQueue.status(remote)).toMatchObject({
      retryInterval: 0,
      queuedPdus: 0,
    })
  })

  it('caps the backoff, and waits at least what a 429 asks for', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = () => err({ kind: 'http', status: 503, body: null, message: 'unavailable' })
    const s = sender(storage, requester, {
      retry: { initialMs: 1_000, maxMs: 5_000, multiplier: 10 },
    })
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    await run(1_010)
    await run(5_010)
    expect((await storage.federationQueue.status(remote))?.retryInterval).toBe(5_000)
    const tooFast = (retryAfterMs: number) => (): Reply =>
      err({
        kind: 'http',
        status: 429,
        body: { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: retryAfterMs },
        message: 'slow down',
      })
    requester.reply = tooFast(3_000)
    await s.markAlive(remote)
    await run()
    expect((await storage.federationQueue.status(remote))?.retryInterval).toBe(3_000)
    // Never beyond the cap, whatever the destination asks for.
    requester.reply = tooFast(86_400_000)
    await s.markAlive(remote)
    await run()
    expect((await storage.federationQueue.status(remote))?.retryInterval).toBe(5_000)
    expect(requester.sent.length).toBe(5)
  })

  it('markAlive ends the backoff and sends the queue at once, under the same txnId', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = unreachable
    const s = sender(storage, requester, { retry: { initialMs: 3_600_000 } })
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    await run(60_000)
    expect(requester.sent.length).toBe(1)
    expect(await s.isBackingOff(remote)).toBe(true)

    // A healthy destination: nothing to do.
    await s.markAlive(second)
    await run()
    expect(requester.sent.length).toBe(1)
    expect(await s.isBackingOff(second)).toBe(false)

    requester.reply = () => ok({ status: 200, body: { pdus: {} } })
    await s.markAlive(remote)
    await run()
    expect(requester.sent.length).toBe(2)
    expect(await s.isBackingOff(remote)).toBe(false)
    expect(requester.sent[1]?.txnId).toBe(requester.sent[0]?.txnId)
    expect(requester.sent[1]?.at).toBe((requester.sent[0]?.at ?? 0) + 60_000)
    expect(await storage.federationQueue.queuedDestinations()).toEqual([])
  })

  it('drops a transaction the destination refuses with a 4xx, and goes on', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = (sent) =>
      depths([sent]).includes(1)
        ? err({ kind: 'http', status: 400, body: { errcode: 'M_BAD_JSON' }, message: 'bad' })
        : ok({ status: 200, body: { pdus: {} } })
    const s = sender(storage, requester)
    await s.enqueuePdu([remote], pdu(1))
    await s.start()
    await run()
    await s.enqueuePdu([remote], pdu(2))
    await run()
    expect(requester.sent.map((t) => depths([t]))).toEqual([[1], [2]])
    expect(await storage.federationQueue.status(remote)).toMatchObject({
      retryInterval: 0,
      queuedPdus: 0,
    })
    expect(logs.text()).toContain('refused by the destination')
  })

  it('logs the PDUs a 200 reports as failed, and does not send them again', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = (sent) =>
      ok({
        status: 200,
        body: {
          pdus: depths([sent]).includes(2) ? { $e2: { error: 'Not allowed' } } : { $e1: {} },
        },
      })
    const s = sender(storage, requester)
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    await s.enqueuePdu([remote], pdu(2))
    await run(60_000)
    expect(requester.sent.length).toBe(2)
    const reported = logs.entries().filter((e) => e['eventId'] === '$e2')
    expect(reported.map((e) => e['error'])).toEqual(['Not allowed'])
    expect(await storage.federationQueue.queuedDestinations()).toEqual([])
  })

  it('catches up after a long outage: the pending transaction, then each room’s latest PDU', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = unreachable
    const s = sender(storage, requester, {
      retry: { initialMs: 3_600_000 },
      catchUp: { maxQueuedPdus: 5 },
    })
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    for (let n = 2; n <= 12; n++) await s.enqueuePdu([remote], pdu(n, n % 2 === 0 ? roomA : roomB))
    await run()
    expect(requester.sent.length).toBe(1)

    requester.reply = () => ok({ status: 200, body: { pdus: {} } })
    await s.markAlive(remote)
    await run()
    expect(requester.sent.map((t) => depths([t]))).toEqual([[1], [1], [11, 12]])
    expect(requester.sent[1]?.txnId).toBe(requester.sent[0]?.txnId)
    expect(logs.text()).toContain('catching up')
    // Drained: out of catch-up, every PDU is sent again.
    expect((await storage.federationQueue.status(remote))?.catchingUp).toBe(false)
  })

  it('starts catch-up when the oldest queued PDU is too old', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.reply = unreachable
    const s = sender(storage, requester, {
      retry: { initialMs: 60_000, maxMs: 60_000 },
      catchUp: { maxQueueAgeMs: 3 * 60_000 },
    })
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    for (let n = 2; n <= 4; n++) await s.enqueuePdu([remote], pdu(n))
    await run(60_010)
    expect((await storage.federationQueue.status(remote))?.catchingUp).toBe(false)
    await run(60_010)
    expect((await storage.federationQueue.status(remote))?.catchingUp).toBe(false)
    await run(60_010)
    expect(await storage.federationQueue.status(remote)).toMatchObject({
      catchingUp: true,
      queuedPdus: 2,
    })
  })

  it('delivers its queue after a restart, at once and under the same txnId', async () => {
    const { storage, path } = await openDb()
    const down = new FakeRequester()
    down.reply = unreachable
    const before = sender(storage, down, { retry: { initialMs: 3_600_000 } })
    await before.start()
    await before.enqueuePdu([remote], pdu(1))
    await before.enqueueEdu([second], edu(1))
    await run()
    expect(down.sent.length).toBe(2)
    await before.close()
    await storage.close()

    const { storage: again } = await openDb(path)
    const up = new FakeRequester()
    const after = sender(again, up, { retry: { initialMs: 3_600_000 } })
    await after.start()
    await run()
    expect(up.sent.map((t) => [t.destination, t.txnId]).sort()).toEqual(
      down.sent.map((t) => [t.destination, t.txnId]).sort(),
    )
    expect(await again.federationQueue.queuedDestinations()).toEqual([])
  })

  it('takes over a destination whose sender died holding its lease, once the lease runs out', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    const s = sender(storage, requester, { requestTimeoutMs: 30_000, sweepIntervalMs: 10_000 })
    // Another process took the lease (30 s of sending plus a minute) and vanished.
    expect(await storage.federationQueue.claim(remote, 'gone', Date.now(), 90_000)).toBe(true)
    await s.enqueuePdu([remote], pdu(1))
    await s.start()
    await run(80_000)
    expect(requester.sent).toEqual([])
    await run(20_000)
    expect(depths(requester.sent)).toEqual([1])
  })

  it('close waits briefly, then aborts; the aborted transaction is kept without a backoff', async () => {
    const { storage } = await openDb()
    const requester = new FakeRequester()
    requester.delayMs = 3_600_000
    const s = sender(storage, requester, { closeGraceMs: 1_000 })
    await s.start()
    await s.enqueuePdu([remote], pdu(1))
    await run()
    expect(requester.sent.length).toBe(1)
    let closed = false
    const closing = s.close().then(() => {
      closed = true
    })
    await run(500)
    expect(closed).toBe(false)
    await run(600)
    await closing
    expect(closed).toBe(true)
    expect(await storage.federationQueue.status(remote)).toMatchObject({
      retryInterval: 0,
      queuedPdus: 1,
    })
    const pending = await storage.federationQueue.takeTransaction(remote, {
      txnId: 'new',
      now: 0,
      maxPdus: 50,
      maxEdus: 100,
    })
    expect(pending?.txnId).toBe(requester.sent[0]?.txnId)
    // After close, queuing still stores, but nothing is sent.
    await s.enqueuePdu([remote], pdu(2))
    await run(10_000)
    expect(requester.sent.length).toBe(1)
  })
})

const postgresUrl = process.env['RHIZOME_TEST_POSTGRES']

describe.skipIf(postgresUrl === undefined || postgresUrl === '')(
  'FederationSender on a shared PostgreSQL',
  () => {
    const schemas = new PostgresTestSchemas(postgresUrl ?? '')
    afterAll(() => schemas.dropAll())

    it('two processes never send to the same destination at once, and deliver everything', async () => {
      const location = await schemas.create()
      const one = await openStorage(location.url, { poolSize: 4 })
      const two = await openStorage(location.url, { poolSize: 4 })
      const requester = new FakeRequester()
      requester.delayMs = 15
      const logger = captureLogs().logger
      const senders = [one, two].map(
        (storage, which) =>
          new FederationSender({
            serverName: us,
            queue: storage.federationQueue,
            requester: requester.as(String(which)),
            logger,
            sweepIntervalMs: 200,
          }),
      )
      try {
        await Promise.all(senders.map((s) => s.start()))
        const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `${n}.test` as ServerName)
        // Each process first queues for three destinations of its own, then for all six.
        const queued = new Map<ServerName, number[]>(names.map((d) => [d, []]))
        await Promise.all(
          senders.map(async (s, which) => {
            for (let n = 1; n <= 40; n++) {
              const targets = n <= 5 ? names.slice(which * 3, which * 3 + 3) : names
              const depth = which * 100 + n
              for (const target of targets) queued.get(target)?.push(depth)
              await s.enqueuePdu(targets, pdu(depth))
              if (n % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 10))
            }
          }),
        )
        const deadline = Date.now() + 20_000
        while ((await one.federationQueue.queuedDestinations()).length > 0) {
          if (Date.now() > deadline) throw new Error('the queue did not drain')
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        expect(requester.maxInFlightPerDestination).toBe(1)
        // Both processes took part.
        expect(new Set(requester.sent.map((t) => t.by))).toEqual(new Set(['0', '1']))
        for (const destination of names) {
          const sent = depths(requester.to(destination))
          const expected = queued.get(destination) ?? []
          // Everything arrived once, each process's PDUs in the order it queued them.
          expect([...sent].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b))
          for (const base of [0, 100]) {
            const mine = (list: number[]) => list.filter((d) => d > base && d <= base + 40)
            expect(mine(sent)).toEqual(mine(expected))
          }
        }
      } finally {
        await Promise.all(senders.map((s) => s.close()))
        await Promise.all([one.close(), two.close()])
      }
    }, 30_000)
  },
)
