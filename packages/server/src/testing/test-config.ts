import type { Config } from '../config/config.js'
import { formatConfigError } from '../config/config-error.js'
import { loadConfigFrom } from '../config/load-config.js'

/**
 * A valid Config for tests: the defaults for `example.org` with data under `dataDir`, listening
 * on a free port of 127.0.0.1, with `raw` (YAML keys) laid over them.
 */
export function testConfig(dataDir: string, raw: Record<string, unknown> = {}): Config {
  const result = loadConfigFrom(
    {
      kind: 'data',
      value: {
        server_name: 'example.org',
        data_dir: dataDir,
        listeners: [{ bind: '127.0.0.1', port: 0 }],
        log: { format: 'json' },
        ...raw,
      },
      baseDir: dataDir,
    },
    {},
    dataDir,
  )
  if (!result.ok) throw new Error(result.error.map(formatConfigError).join('\n'))
  return result.value
}
