import { randomUUID } from 'node:crypto'
import pg from 'pg'

/**
 * Test databases on a PostgreSQL server (the URL in RHIZOME_TEST_POSTGRES): each test storage
 * gets a schema of its own in that database, selected through the connection's search_path, and
 * every schema made is dropped at the end. Schema names are generated, never taken from input.
 */
export class PostgresTestSchemas {
  readonly #baseUrl: string
  readonly #admin: pg.Pool
  readonly #schemas: string[] = []

  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl
    this.#admin = new pg.Pool({ connectionString: baseUrl, max: 2 })
  }

  /** A new empty schema, and the URL whose connections use it (and are named after it). */
  async create(): Promise<{ readonly schema: string; readonly url: string }> {
    const schema = `rhizome_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`
    await this.#admin.query(`CREATE SCHEMA ${schema}`)
    this.#schemas.push(schema)
    const url = new URL(this.#baseUrl)
    url.searchParams.set('options', `-c search_path=${schema}`)
    url.searchParams.set('application_name', schema)
    return { schema, url: url.href }
  }

  query<R extends pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    return this.#admin.query<R>(sql, params)
  }

  /** Ends the listening connection of the storages using `schema`, as a network failure would. */
  async killListeners(schema: string): Promise<number> {
    const { rowCount } = await this.#admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
      [schema],
    )
    return rowCount ?? 0
  }

  async dropAll(): Promise<void> {
    for (const schema of this.#schemas.splice(0)) {
      await this.#admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    }
    await this.#admin.end()
  }
}
