import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type {
  DeviceListStore,
  E2eKeyStore,
  ToDeviceMessage,
  ToDeviceStore,
} from '../storage/e2e-key-store.js'
import { deviceListChanges, deviceSection, TO_DEVICE_LIMIT } from './e2ee-sync.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId
const carol = '@carol:test' as UserId

/** A queue of messages at positions 1..n, read as the stores do. */
function queue(n: number): { toDevice: ToDeviceStore; e2eKeys: E2eKeyStore } {
  const messages: ToDeviceMessage[] = Array.from({ length: n }, (_, i) => ({
    streamPosition: i + 1,
    sender: alice,
    type: 'm.test',
    content: { i },
  }))
  const e2eKeys = {
    deviceSyncState: () =>
      Promise.resolve({
        oneTimeKeyCounts: { signed_curve25519: 3 },
        unusedFallbackKeyTypes: [],
        oldestToDevice: messages[0]?.streamPosition,
      }),
  } as Partial<E2eKeyStore> as E2eKeyStore
  return {
    e2eKeys,
    toDevice: {
      send: () => Promise.resolve(true),
      receive: () => Promise.resolve(true),
      forgetInboundIds: () => Promise.resolve(0),
      acknowledge: () => Promise.resolve(),
      pending: (_u, _d, after, upTo, limit) =>
        Promise.resolve(
          messages
            .filter((m) => m.streamPosition > (after ?? 0) && m.streamPosition <= upTo)
            .slice(0, limit),
        ),
    },
  }
}

describe('to-device messages in sync', () => {
  it('delivers all that wait, up to the response end', async () => {
    const taken = await deviceSection(queue(3), bob, 'B1', undefined, 500)
    expect(taken.events.map((e) => e.content)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }])
    expect(taken.upTo).toBe(500)
  })

  it('ends the response at the last message it carries when more wait', async () => {
    const store = queue(TO_DEVICE_LIMIT + 50)
    const first = await deviceSection(store, bob, 'B1', 0, 1000)
    expect(first.events).toHaveLength(TO_DEVICE_LIMIT)
    expect(first.upTo).toBe(TO_DEVICE_LIMIT)
    const rest = await deviceSection(store, bob, 'B1', first.upTo, 1000)
    expect(rest.events).toHaveLength(50)
    expect(rest.events[0]?.content).toEqual({ i: TO_DEVICE_LIMIT })
    expect(rest.upTo).toBe(1000)
  })

  it('has nothing for a token without a device', async () => {
    expect(await deviceSection(queue(3), bob, undefined, undefined, 9)).toEqual({
      events: [],
      upTo: 9,
      keyCounts: undefined,
    })
  })

  it('reports the key counts, and reads no messages when none are queued', async () => {
    const empty = queue(0)
    empty.toDevice.pending = () => Promise.reject(new Error('read without a queued message'))
    expect(await deviceSection(empty, bob, 'B1', 4, 9)).toEqual({
      events: [],
      upTo: 9,
      keyCounts: {
        device_one_time_keys_count: { signed_curve25519: 3 },
        device_unused_fallback_key_types: [],
      },
    })
  })
})

describe('device list changes in sync', () => {
  function lists(changed: UserId[], sharing: UserId[], stopped: UserId[]): DeviceListStore {
    return {
      changedInSharedRooms: () => Promise.resolve(changed),
      sharingChanges: () => Promise.resolve({ newlySharing: sharing, stoppedSharing: stopped }),
      recordRemoteChange: () => Promise.resolve(),
      nextOutboundStreamIds: () => Promise.resolve({ previous: undefined, ids: [] }),
      outboundStreamId: () => Promise.resolve(0),
    }
  }

  it('merges changes with new room-mates, sorted, and leaves out whom the user stopped sharing with', async () => {
    const out = await deviceListChanges(
      { deviceLists: lists([carol, bob], [bob, alice], [carol]) },
      alice,
      1,
      5,
    )
    expect(out).toEqual({ changed: [alice, bob], left: [carol] })
  })

  it('reads nothing for an empty range', async () => {
    const out = await deviceListChanges({ deviceLists: lists([bob], [], []) }, alice, 5, 5)
    expect(out).toEqual({ changed: [], left: [] })
  })
})
