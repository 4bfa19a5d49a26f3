import { createPostgresDatabase, POSTGRES_URL, type TestDatabase } from './databases.js'

/**
 * The storage backends a suite runs against: SQLite always, PostgreSQL when
 * RHIZOME_TEST_POSTGRES names a server (a fresh database each time).
 */
export interface Backend {
  readonly name: 'sqlite' | 'postgres'
  /** The `database` config value, or undefined for the default SQLite file. */
  open(): Promise<{ database: string | undefined; drop: () => Promise<void> }>
}

const sqlite: Backend = {
  name: 'sqlite',
  open: () => Promise.resolve({ database: undefined, drop: () => Promise.resolve() }),
}

function postgres(baseUrl: string): Backend {
  return {
    name: 'postgres',
    async open() {
      const db: TestDatabase = await createPostgresDatabase(baseUrl)
      return { database: db.url, drop: () => db.drop() }
    },
  }
}

export const BACKENDS: readonly Backend[] =
  POSTGRES_URL === undefined ? [sqlite] : [sqlite, postgres(POSTGRES_URL)]

if (POSTGRES_URL === undefined) {
  console.info('PostgreSQL end-to-end suites skipped: set RHIZOME_TEST_POSTGRES to run them')
}
