import type { Storage } from './interface.js'
import { openPostgresStorage } from './postgres/postgres-storage.js'
import { openSqliteStorage } from './sqlite/sqlite-storage.js'
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
  return location.value.dialect === 'sqlite'
    ? openSqliteStorage(location.value.path, options)
    : openPostgresStorage(location.value.url, options)
}
