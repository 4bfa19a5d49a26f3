import type { Storage } from './interface.js'
import type { StorageOptions } from './storage-options.js'
import { parseStorageUrl } from './storage-url.js'

export class StorageUrlError extends Error {
  override readonly name = 'StorageUrlError'
}

/**
 * Opens the storage at `url` (see parseStorageUrl) and applies pending migrations. Rejects with
 * StorageUrlError for a URL that names no database, and with the driver's error when the database
 * cannot be opened or migrated; the configuration layer checks the URL first, so either is a
 * start-up failure to report, not a request error.
 */
export async function openStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const location = parseStorageUrl(url)
  if (!location.ok) throw new StorageUrlError(location.error)
  // Each dialect's driver is loaded only when it is used: the PostgreSQL driver alone adds about
  // 15 MB to the resident memory of a server that runs on SQLite.
  if (location.value.dialect === 'sqlite') {
    const { openSqliteStorage } = await import('./sqlite/sqlite-storage.js')
    return openSqliteStorage(location.value.path, options)
  }
  const { openPostgresStorage } = await import('./postgres/postgres-storage.js')
  return openPostgresStorage(location.value.url, options)
}
