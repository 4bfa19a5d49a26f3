import { parseArgs, type ParseArgsConfig } from 'node:util'
import { err, ok, type Result } from '@rhizome/core'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * node:util parseArgs, strict (unknown flags and stray arguments are mistakes), with its thrown
 * usage errors turned into a message.
 */
export function parseFlags<O extends Options>(
  args: readonly string[],
  options: O,
): Result<
  ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'],
  string
> {
  try {
    const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
    return ok(parsed.values)
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e))
  }
}
