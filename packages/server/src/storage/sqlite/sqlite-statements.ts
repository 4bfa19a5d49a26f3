import type Database from 'better-sqlite3'

/**
 * Prepared statements, compiled once per SQL text and kept for the life of the connection. Only
 * fixed SQL goes through here; the few statements built from a filter are prepared per call.
 */
export class SqliteStatements {
  readonly db: Database.Database
  readonly #cache = new Map<string, Database.Statement>()

  constructor(db: Database.Database) {
    this.db = db
  }

  get(sql: string): Database.Statement {
    let statement = this.#cache.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.#cache.set(sql, statement)
    }
    return statement
  }

  /** The first row, typed by the caller who wrote the SQL (as pg's `query<R>` is). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  one<R>(sql: string, ...params: readonly unknown[]): R | undefined {
    return this.get(sql).get(...params) as R | undefined
  }

  all<R>(sql: string, ...params: readonly unknown[]): R[] {
    return this.get(sql).all(...params) as R[]
  }

  /** Returns the number of rows changed. */
  run(sql: string, ...params: readonly unknown[]): number {
    return this.get(sql).run(...params).changes
  }
}

/** SQLite has no boolean type. */
export const sqlBool = (value: boolean): number => (value ? 1 : 0)

/** A list parameter, read in SQL with `IN (SELECT value FROM json_each(?))`. */
export const sqlList = (values: readonly (string | number)[]): string => JSON.stringify(values)

/**
 * Runs synchronous database work behind the async storage API, so that a failure is a rejected
 * promise, as it is with PostgreSQL, and never an exception thrown at the call site.
 */
export function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work())
  })
}
