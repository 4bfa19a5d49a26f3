/**
 * SQL for the string at `path` (`$.content.name`) of a JSON text column, or NULL when it is missing
 * or not a string. A document whose text holds the escape `\u0000` is not read, as PostgreSQL
 * cannot read it (postgres-json.ts), so that both dialects answer alike.
 */
export function sqliteJsonText(column: string, path: string): string {
  if (!/^\$(\.[a-z_]+)+$/.test(path)) throw new Error(`not a plain JSON path: ${path}`)
  return `CASE WHEN instr(${column}, '\\u0000') = 0 AND json_type(${column}, '${path}') = 'text'
    THEN json_extract(${column}, '${path}') END`
}
