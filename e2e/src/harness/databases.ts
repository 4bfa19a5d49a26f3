import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The PostgreSQL server the suites may use, from RHIZOME_TEST_POSTGRES; undefined to skip them. */
export const POSTGRES_URL: string | undefined = process.env['RHIZOME_TEST_POSTGRES'] || undefined

export interface TestDatabase {
  readonly url: string
  drop(): Promise<void>
}

/**
 * A fresh, empty PostgreSQL database on the server RHIZOME_TEST_POSTGRES points at, so each test
 * file starts from nothing and leaves nothing behind.
 */
export async function createPostgresDatabase(baseUrl: string): Promise<TestDatabase> {
  const name = `rhizome_e2e_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
