import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { DeviceActivity, type DeviceActivityOptions } from './device-activity.js'

const alice = '@alice:example.org' as UserId
const bob = '@bob:example.org' as UserId

function setUp(overrides: Partial<DeviceActivityOptions> = {}) {
  let now = 1_000
  const writes: string[] = []
  const errors: unknown[] = []
  const activity = new DeviceActivity({
    record: (userId, deviceId, ts, ip) => {
      writes.push(`${userId} ${deviceId} ${ts} ${ip}`)
      return Promise.resolve()
    },
    now: () => now,
    intervalMs: 60_000,
    maxDevices: 100,
    onError: (error) => errors.push(error),
    ...overrides,
  })
  return {
    activity,
    writes,
    errors,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('DeviceActivity', () => {
  it('writes a device when first seen, then at most once per interval', () => {
    const { activity, writes, advance } = setUp()
    activity.seen(alice, 'PHONE', '10.0.0.1')
    advance(1_000)
    activity.seen(alice, 'PHONE', '10.0.0.1')
    advance(58_999)
    activity.seen(alice, 'PHONE', '10.0.0.1')
    expect(writes).toEqual([`${alice} PHONE 1000 10.0.0.1`])
    advance(1)
    activity.seen(alice, 'PHONE', '10.0.0.1')
    expect(writes).toEqual([`${alice} PHONE 1000 10.0.0.1`, `${alice} PHONE 61000 10.0.0.1`])
  })

  it('writes at once when the address changes, and keeps devices apart', () => {
    const { activity, writes, advance } = setUp()
    activity.seen(alice, 'PHONE', '10.0.0.1')
    activity.seen(alice, 'LAPTOP', '10.0.0.1')
    activity.seen(bob, 'PHONE', '10.0.0.1')
    advance(5)
    activity.seen(alice, 'PHONE', '192.168.1.7')
    expect(writes).toEqual([
      `${alice} PHONE 1000 10.0.0.1`,
      `${alice} LAPTOP 1000 10.0.0.1`,
      `${bob} PHONE 1000 10.0.0.1`,
      `${alice} PHONE 1005 192.168.1.7`,
    ])
  })

  it('forgets the least recently written devices past its bound', () => {
    const { activity, writes } = setUp({ maxDevices: 2 })
    activity.seen(alice, 'A', 'ip')
    activity.seen(alice, 'B', 'ip')
    activity.seen(alice, 'C', 'ip')
    expect(activity.size).toBe(2)
    activity.seen(alice, 'B', 'ip')
    expect(writes).toHaveLength(3)
    activity.seen(alice, 'A', 'ip')
    expect(writes).toHaveLength(4)
  })

  it('reports a failed write and tries again on the next request', async () => {
    let fail = true
    const writes: number[] = []
    const { activity, errors } = setUp({
      record: (_userId, _deviceId, ts) => {
        writes.push(ts)
        return fail ? Promise.reject(new Error('disk full')) : Promise.resolve()
      },
    })
    activity.seen(alice, 'PHONE', 'ip')
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors).toHaveLength(1)
    fail = false
    activity.seen(alice, 'PHONE', 'ip')
    activity.seen(alice, 'PHONE', 'ip')
    expect(writes).toHaveLength(2)
  })
})
