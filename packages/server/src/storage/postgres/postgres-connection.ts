import pg from 'pg'
import type { Logger } from '../../logging/logger.js'

/**
 * BIGINT columns (positions, timestamps, row IDs) come back as numbers: every value we store is
 * far below 2^53. A value beyond it would be a corrupt row, and is refused rather than rounded.
 */
export function pgTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides()
  types.setTypeParser(pg.types.builtins.INT8, (text: string) => {
    const value = Number(text)
    if (!Number.isSafeInteger(value)) throw new Error(`BIGINT ${text} is beyond 2^53`)
    return value
  })
  return types
}

/** Anything that runs a query: the pool, or one connection. */
export type Queryable = Pick<pg.ClientBase, 'query'>

/** Numbered placeholders for SQL built from a filter: `params.add(v)` returns `$n`. */
export class Params {
  readonly values: unknown[] = []

  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/**
 * A connection taken from the pool. While it is out, an error event from it (the server closed
 * the connection between two queries) is logged instead of crashing the process; `release(true)`
 * destroys a connection whose session state is unknown.
 */
export interface Checkout {
  readonly client: pg.PoolClient
  readonly release: (destroy?: boolean) => void
}

export async function checkout(pool: pg.Pool, logger: Logger | undefined): Promise<Checkout> {
  const client = await pool.connect()
  const onError = (error: Error): void => {
    logger?.warn({ err: error }, 'a PostgreSQL connection in use failed')
  }
  client.on('error', onError)
  return {
    client,
    release: (destroy = false) => {
      client.off('error', onError)
      client.release(destroy ? new Error('connection state unknown') : undefined)
    },
  }
}

/**
 * Runs `work` in one transaction on the connection: commits, or rolls back and rethrows.
 * `settled` is called once the connection is known to be out of the transaction either way; if it
 * was not called, the connection's state is unknown (a failed COMMIT or ROLLBACK).
 */
export async function transaction<T>(
  client: pg.ClientBase,
  work: (client: pg.ClientBase) => Promise<T>,
  settled: () => void = () => undefined,
): Promise<T> {
  await client.query('BEGIN')
  let result: T
  try {
    result = await work(client)
  } catch (error) {
    await client.query('ROLLBACK')
    settled()
    throw error
  }
  await client.query('COMMIT')
  settled()
  return result
}

/** A transaction on a pooled connection; one left in an unknown state is destroyed. */
export async function pooledTransaction<T>(
  pool: pg.Pool,
  logger: Logger | undefined,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const { client, release } = await checkout(pool, logger)
  let healthy = false
  try {
    return await transaction(client, work, () => {
      healthy = true
    })
  } finally {
    release(!healthy)
  }
}
