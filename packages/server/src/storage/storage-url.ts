import { err, ok, type Result } from '@rhizome/core'

export type StorageLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string }

/**
 * Where the database is: `sqlite:./path.db` (relative to the working directory),
 * `sqlite:/abs/path.db`, `sqlite::memory:` (nothing kept, for tests), or a
 * `postgres://` / `postgresql://` connection URL.
 */
export function parseStorageUrl(url: string): Result<StorageLocation, string> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    if (path === '') return err('a sqlite: URL needs a file path, e.g. sqlite:./data/rhizome.db')
    if (path.includes('\0')) return err('the SQLite path contains a NUL character')
    return ok({ dialect: 'sqlite', path })
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    if (!URL.canParse(url)) return err('the PostgreSQL URL does not parse')
    return ok({ dialect: 'postgres', url })
  }
  return err('the database URL must start with sqlite: or postgres://')
}
