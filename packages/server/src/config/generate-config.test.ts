import { describe, expect, it } from 'vitest'
import { formatConfigError } from './config-error.js'
import { generateConfig } from './generate-config.js'
import { loadConfigFrom } from './load-config.js'
import { CONFIG_KEYS } from './validate-config.js'

function generated(serverName: string): string {
  const text = generateConfig(serverName)
  if (!text.ok) throw new Error(text.error.map(formatConfigError).join())
  return text.value
}

function load(text: string) {
  const result = loadConfigFrom({ kind: 'yaml', text, baseDir: '/etc/rhizome' }, {}, '/cwd')
  if (!result.ok) throw new Error(result.error.map(formatConfigError).join('\n'))
  return result.value
}

describe('generateConfig', () => {
  it('loads back to exactly the defaults for its server name', () => {
    for (const name of ['example.org', 'matrix.example.org:8448', '[::1]:8448', '192.0.2.7']) {
      expect(load(generated(name))).toEqual(load(`server_name: ${JSON.stringify(name)}\n`))
      expect(load(generated(name)).serverName).toBe(name)
    }
  })

  it('mentions every key, set or commented out', () => {
    const text = generated('example.org')
    const all = new Set<string>(Object.values(CONFIG_KEYS).flat())
    for (const key of all) expect(text, key).toMatch(new RegExp(`(^|[\\s{#-])${key}:`, 'm'))
  })

  it('explains every key it sets with a comment nearby', () => {
    const lines = generated('example.org').split('\n')
    const comments = lines.filter((line) => line.trimStart().startsWith('#')).length
    expect(comments).toBeGreaterThan(40)
  })

  it('still loads when its commented options are switched on', () => {
    const text = generated('example.org')
      .replace('# public_baseurl:', 'public_baseurl:')
      .replace('# shared_secret:', 'shared_secret:')
      .replace('# database:', 'database:')
      .replace('# signing_key_path:', 'signing_key_path:')
      .replace('    # tls:\n    #   certificate:', '    tls:\n      certificate:')
      .replace('    #   key:', '      key:')
    const config = load(text)
    expect(config.publicBaseurl).toBe('https://matrix.example.org/')
    expect(config.registration.sharedSecret).toBe('CHANGE ME to a long random string')
    expect(config.database.kind).toBe('postgres')
    expect(config.signingKeyPath).toBe('/var/lib/rhizome/signing.key')
    expect(config.listeners[0]?.tls).toEqual({
      certificatePath: '/etc/letsencrypt/live/example.org/fullchain.pem',
      keyPath: '/etc/letsencrypt/live/example.org/privkey.pem',
    })
  })

  it('refuses a bad server name, naming the flag', () => {
    const result = generateConfig('not a name')
    expect(result.ok).toBe(false)
    expect(!result.ok && formatConfigError(result.error[0]!)).toMatch(/^--server-name: server name/)
  })
})
