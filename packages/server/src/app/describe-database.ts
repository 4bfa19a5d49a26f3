import type { DatabaseConfig } from '../config/config.js'

/** The database as it may be logged: a PostgreSQL password is never shown. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`
  const url = new URL(database.url)
  if (url.password !== '') url.password = '***'
  return url.href
}
