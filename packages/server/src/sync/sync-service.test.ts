import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRoomService } from '../rooms/room-service.js'
import { crypto, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import type { Storage } from '../storage/interface.js'
import { DEFAULT_SYNC_FILTER } from './filter/sync-filter.js'
import {
  emptyResponse,
  MAX_SYNC_TIMEOUT_MS,
  SyncService,
  type SyncRequest,
} from './sync-service.js'
import { SyncWakeups } from './sync-wakeups.js'

const alice = userId('alice')

afterEach(() => {
  vi.useRealTimers()
})

for (const kind of roomTestStorages()) {
  describe(`SyncService on ${kind.name}`, () => {
    const open = useRoomStorage(kind)
    const wakeupsToClose: SyncWakeups[] = []
    afterEach(() => {
      for (const w of wakeupsToClose.splice(0)) w.close()
    })

    async function setup(storage?: Storage): Promise<{ service: SyncService; storage: Storage }> {
      const db = storage ?? (await open())
      const rooms = createRoomService({
        storage: db,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
      })
      const wakeups = new SyncWakeups(db.streams.notifier)
      wakeupsToClose.push(wakeups)
      const service = new SyncService({
        storage: db,
        serializer: rooms.serializer,
        pdus: rooms.pipeline.pdus,
        wakeups,
        clock: () => Date.now(),
      })
      return { service, storage: db }
    }

    const request = (over: Partial<SyncRequest>): SyncRequest => ({
      userId: alice,
      deviceId: 'DEV',
      since: undefined,
      filter: { kind: 'none' },
      fullState: false,
      timeoutMs: 0,
      useStateAfter: false,
      ...over,
    })

    it('caps the wait at five minutes, however long the timeout', async () => {
      const { service, storage } = await setup()
      const position = await storage.streams.currentPosition()
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
      let done = false
      const waiting = service.sync(request({ since: position, timeoutMs: 10 ** 12 })).then((r) => {
        done = true
        return r
      })
      await vi.advanceTimersByTimeAsync(MAX_SYNC_TIMEOUT_MS - 1000)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(1000)
      expect(await waiting).toEqual({ ok: true, value: emptyResponse(position) })
    })

    it('ends the wait when the signal aborts', async () => {
      const { service, storage } = await setup()
      const position = await storage.streams.currentPosition()
      const controller = new AbortController()
      const waiting = service.sync(
        request({ since: position, timeoutMs: 60_000, signal: controller.signal }),
      )
      setTimeout(() => {
        controller.abort()
      }, 20)
      expect(await waiting).toEqual({ ok: true, value: emptyResponse(position) })
    })

    it('refuses a since ahead of the stream', async () => {
      const { service, storage } = await setup()
      const position = await storage.streams.currentPosition()
      const result = await service.sync(request({ since: position + 1 }))
      expect(result).toMatchObject({ ok: false, error: { errcode: 'M_INVALID_PARAM' } })
    })

    it('reads a stored filter once, then from its cache', async () => {
      const { service, storage } = await setup()
      const filterId = await storage.filters.create(alice, { room: { timeline: { limit: 1 } } })
      const get = vi.spyOn(storage.filters, 'get')
      for (let i = 0; i < 3; i++) {
        const result = await service.sync(request({ filter: { kind: 'stored', filterId } }))
        expect(result.ok).toBe(true)
      }
      expect(get).toHaveBeenCalledTimes(1)
      const inline = await service.sync(
        request({ filter: { kind: 'inline', filter: DEFAULT_SYNC_FILTER } }),
      )
      expect(inline.ok).toBe(true)
    })

    it('reports a stored filter that no longer parses', async () => {
      const { service, storage } = await setup()
      const filterId = await storage.filters.create(alice, { room: { timeline: { limit: -5 } } })
      const result = await service.sync(request({ filter: { kind: 'stored', filterId } }))
      expect(result).toMatchObject({ ok: false, error: { errcode: 'M_BAD_JSON' } })
    })

    it('answers closed waits as timeouts when the wake-ups close', async () => {
      const db = await open()
      const { service } = await setup(db)
      const position = await db.streams.currentPosition()
      const waiting = service.sync(request({ since: position, timeoutMs: 60_000 }))
      await new Promise((resolve) => setTimeout(resolve, 20))
      for (const w of wakeupsToClose) w.close()
      expect(await waiting).toEqual({ ok: true, value: emptyResponse(position) })
    })
  })
}
