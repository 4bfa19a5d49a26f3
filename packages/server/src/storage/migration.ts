/** One schema change. Each dialect lists its own, numbered from 1 without gaps. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/**
 * The migrations still to apply on a database at `current`. A database newer than this code is
 * refused: running old code on it could corrupt data it does not understand.
 */
export function pendingMigrations(
  migrations: readonly Migration[],
  current: number,
): readonly Migration[] {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration ${migration.name} has version ${migration.version}, expected ${index + 1}`,
      )
    }
  })
  if (current > migrations.length) {
    throw new Error(
      `the database schema is at version ${current}, newer than this server's ${migrations.length}: ` +
        'upgrade the server',
    )
  }
  return migrations.slice(current)
}
