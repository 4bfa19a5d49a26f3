import type { UserId } from '@rhizome/core'

/** Writes one device's last-seen time and address. */
export type RecordDeviceSeen = (
  userId: UserId,
  deviceId: string,
  ts: number,
  ip: string,
) => Promise<void>

export interface DeviceActivityOptions {
  readonly record: RecordDeviceSeen
  readonly now: () => number
  /** A device seen again from the same address within this long is not written again. */
  readonly intervalMs: number
  /** The most devices remembered; past it, the oldest are forgotten (and written again). */
  readonly maxDevices: number
  /** Told about a write that failed; the request that caused it has been answered already. */
  readonly onError: (error: unknown) => void
}

export const DEVICE_SEEN_INTERVAL_MS = 60_000
export const DEVICE_SEEN_MAX_DEVICES = 100_000

interface Seen {
  readonly ts: number
  readonly ip: string
}

/**
 * Keeps each device's `last_seen_ts` and `last_seen_ip` (shown by GET /devices) current without a
 * write per request: a device is written when it first shows up, when its address changes, and
 * otherwise at most once per interval. The writes run beside the request and never delay it.
 * Each process keeps its own memory of what it wrote, so with several workers a device may be
 * written once per interval by each; the last write wins, and all are recent.
 */
export class DeviceActivity {
  readonly #options: DeviceActivityOptions
  readonly #written = new Map<string, Seen>()

  constructor(options: DeviceActivityOptions) {
    this.#options = options
  }

  seen(userId: UserId, deviceId: string, ip: string): void {
    const { now, intervalMs, maxDevices, record, onError } = this.#options
    const ts = now()
    const key = `${userId}\u0000${deviceId}`
    const last = this.#written.get(key)
    if (last !== undefined && last.ip === ip && ts - last.ts < intervalMs) return
    // Re-inserted at the end, so that the map's first key is always the least recently written.
    this.#written.delete(key)
    this.#written.set(key, { ts, ip })
    while (this.#written.size > maxDevices) {
      const oldest = this.#written.keys().next()
      if (oldest.done === true) break
      this.#written.delete(oldest.value)
    }
    record(userId, deviceId, ts, ip).catch((error: unknown) => {
      // Forgotten, so that the next request tries again.
      if (this.#written.get(key)?.ts === ts) this.#written.delete(key)
      onError(error)
    })
  }

  /** How many devices are remembered (for tests). */
  get size(): number {
    return this.#written.size
  }
}
