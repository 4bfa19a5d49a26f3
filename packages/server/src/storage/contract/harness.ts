import { afterEach } from 'vitest'
import type { Storage } from '../interface.js'

/**
 * What a dialect's test file hands to the contracts. `open` gives a fresh, empty database each
 * time. The optional members describe what the dialect can do beyond one process.
 */
export interface StorageHarness {
  readonly name: string
  open(): Promise<Storage>
  /** Closes `storage` and opens its database again (durability across restarts). */
  reopen?(storage: Storage): Promise<Storage>
  /**
   * A second Storage on the same database as `storage`, as another server process would open it
   * (PostgreSQL only: SQLite serves one process).
   */
  openSibling?(storage: Storage): Promise<Storage>
}

/**
 * Tracks the storages a test opens and closes them after it, so a failing test leaks nothing.
 */
export function useStorages(harness: StorageHarness): {
  readonly open: () => Promise<Storage>
  readonly reopen: (storage: Storage) => Promise<Storage>
  readonly openSibling: (storage: Storage) => Promise<Storage>
} {
  const opened: Storage[] = []
  afterEach(async () => {
    const all = opened.splice(0)
    await Promise.all(all.map((storage) => storage.close()))
  })
  const track = (storage: Storage): Storage => {
    opened.push(storage)
    return storage
  }
  return {
    open: async () => track(await harness.open()),
    reopen: async (storage) => {
      if (harness.reopen === undefined) throw new Error(`${harness.name} cannot reopen`)
      return track(await harness.reopen(storage))
    },
    openSibling: async (storage) => {
      if (harness.openSibling === undefined) throw new Error(`${harness.name} has no siblings`)
      return track(await harness.openSibling(storage))
    },
  }
}
