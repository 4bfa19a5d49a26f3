/**
 * SQL for the string at `path` of a JSON text column, or NULL when it is missing or not a string.
 * Events are stored as text (canonical JSON, not JSONB), so the column is read as `json`.
 *
 * PostgreSQL cannot turn U+0000 into text, and its JSON functions fail on a document that holds
 * one where they look: so a document whose text holds the escape `\u0000` anywhere (or the text
 * `\u0000`, escaped) is not read at all, and its fields are NULL. One room's odd name must not fail
 * a query over every room. SQLite reads such documents the same way (sqlite-json.ts).
 */
export function pgJsonText(column: string, path: readonly string[]): string {
  for (const key of path) {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`not a plain JSON key: ${key}`)
  }
  const at = `'{${path.join(',')}}'`
  return `CASE WHEN strpos(${column}, '\\u0000') = 0
      AND json_typeof(${column}::json #> ${at}) = 'string'
    THEN ${column}::json #>> ${at} END`
}
