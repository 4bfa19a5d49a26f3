import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { formatConfigError } from './config-error.js'
import { devConfigData } from './dev-config.js'
import { loadConfig, loadConfigFrom, parseYaml } from './load-config.js'
import type { ConfigOverrides } from './overrides.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-config-'))
const cwd = '/work/cwd'

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function messages(path: string | undefined, overrides: ConfigOverrides = {}): string[] {
  const result = loadConfig(path, overrides, cwd)
  return result.ok ? [] : result.error.map(formatConfigError)
}

describe('loadConfig from a file', () => {
  it('reads YAML and resolves relative paths against the file', () => {
    const path = file(
      'ok.yaml',
      'server_name: example.org\ndata_dir: ./state\ndatabase: sqlite:db.sqlite\n',
    )
    const result = loadConfig(path, {}, cwd)
    expect(result.ok && result.value.dataDir).toBe(join(dir, 'state'))
    expect(result.ok && result.value.database).toEqual({
      kind: 'sqlite',
      path: join(dir, 'db.sqlite'),
    })
  })

  it('finds a relative config path from the working directory', () => {
    file('rel.yaml', 'server_name: example.org\n')
    const result = loadConfig('rel.yaml', {}, dir)
    expect(result.ok && result.value.serverName).toBe('example.org')
  })

  it('says when the file cannot be read', () => {
    expect(messages(join(dir, 'missing.yaml'))).toEqual([
      expect.stringMatching(/^cannot read config file .*missing\.yaml: ENOENT/),
    ])
  })

  it('reports YAML syntax errors with line and column', () => {
    const path = file('syntax.yaml', 'server_name: example.org\nlisteners: [\n')
    const found = messages(path)
    expect(found.length).toBeGreaterThan(0)
    expect(found[0]).toMatch(/syntax\.yaml line \d+, column \d+: /)
  })

  it('refuses duplicate keys rather than letting the last one win', () => {
    const found = messages(file('dup.yaml', 'server_name: a.org\nserver_name: b.org\n'))
    expect(found).toEqual([expect.stringMatching(/dup\.yaml line 2, column 1: .*[Uu]nique/)])
  })

  it('refuses alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n')
    expect(messages(file('bomb.yaml', bomb))[0]).toMatch(/bomb\.yaml: .*alias/i)
  })

  it('reads YAML 1.2: yes is a string, so a boolean key says so', () => {
    const path = file('yes.yaml', 'server_name: example.org\nregistration:\n  enabled: yes\n')
    expect(messages(path)).toEqual(['registration.enabled: expected true or false, got "yes"'])
  })

  it('reads an empty file as an empty mapping', () => {
    expect(messages(file('empty.yaml', ''))).toEqual([
      'server_name: required: the domain that appears in user IDs, such as example.org',
    ])
  })
})

describe('flags', () => {
  it("replace the file's keys, with their paths relative to the working directory", () => {
    const path = file(
      'base.yaml',
      'server_name: example.org\nlisteners:\n  - port: 9000\n    tls: { certificate: c, key: k }\n',
    )
    const result = loadConfig(
      path,
      {
        serverName: 'other.org',
        listen: ['0.0.0.0:8448', '[::1]:8008'],
        dataDir: 'var',
        database: 'sqlite:x.db',
      },
      cwd,
    )
    if (!result.ok) throw new Error(result.error.map(formatConfigError).join())
    expect(result.value.serverName).toBe('other.org')
    expect(result.value.listeners.map((l) => [l.bind, l.port, l.tls, l.resources.length])).toEqual([
      ['0.0.0.0', 8448, undefined, 3],
      ['::1', 8008, undefined, 3],
    ])
    expect(result.value.dataDir).toBe('/work/cwd/var')
    expect(result.value.database).toEqual({ kind: 'sqlite', path: '/work/cwd/x.db' })
    expect(result.value.signingKeyPath).toBe('/work/cwd/var/signing.key')
  })

  it('work without a file', () => {
    const result = loadConfig(undefined, { serverName: 'example.org' }, cwd)
    expect(result.ok && result.value.dataDir).toBe('/work/cwd/data')
  })

  it('are named in errors instead of the key they set', () => {
    expect(messages(undefined, { serverName: 'not valid!' })[0]).toMatch(
      /^--server-name: server name/,
    )
    expect(messages(undefined, { serverName: 'a.org', listen: ['localhost'] })).toEqual([
      '--listen: expected HOST:PORT such as 127.0.0.1:8008 or [::]:8008, got "localhost"',
    ])
    expect(messages(undefined, { serverName: 'a.org', listen: ['127.0.0.1:99999'] })).toEqual([
      '--listen: expected an integer 0-65535, got 99999',
    ])
    expect(messages(undefined, { serverName: 'a.org', listen: ['127.0.0.1:http'] })).toEqual([
      '--listen: expected an integer 0-65535, got "http"',
    ])
    expect(messages(undefined, { serverName: 'a.org', listen: ['host.example:80'] })).toEqual([
      '--listen: expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, got "host.example"',
    ])
    expect(messages(undefined, { serverName: 'a.org', database: 'oracle:x' })[0]).toMatch(
      /^--database: expected sqlite:PATH/,
    )
  })

  it('leave a non-mapping file for the validator to report', () => {
    const path = file('list.yaml', '- 1\n- 2\n')
    expect(messages(path, { serverName: 'a.org' })[0]).toMatch(/^expected a mapping with keys/)
  })

  it('keep sqlite::memory: and non-sqlite URLs as given', () => {
    const memory = loadConfig(undefined, { serverName: 'a.org', database: 'sqlite::memory:' }, cwd)
    expect(memory.ok && memory.value.database).toEqual({ kind: 'sqlite', path: ':memory:' })
    const pg = loadConfig(undefined, { serverName: 'a.org', database: 'postgres://u@h/db' }, cwd)
    expect(pg.ok && pg.value.database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' })
  })
})

describe('the development configuration', () => {
  it('is valid, with open registration and no federation', () => {
    const result = loadConfigFrom({ kind: 'data', value: devConfigData(), baseDir: cwd }, {}, cwd)
    if (!result.ok) throw new Error(result.error.map(formatConfigError).join())
    expect(result.value.serverName).toBe('localhost:8008')
    expect(result.value.listeners).toEqual([
      {
        bind: '127.0.0.1',
        port: 8008,
        tls: undefined,
        resources: ['client', 'federation', 'media'],
        xForwarded: false,
      },
    ])
    expect(result.value.dataDir).toBe('/work/cwd/data')
    expect(result.value.database).toEqual({ kind: 'sqlite', path: '/work/cwd/data/homeserver.db' })
    expect(result.value.registration.enabled).toBe(true)
    expect(result.value.federation.enabled).toBe(false)
  })
})

describe('YAML text', () => {
  it('loads like a file, against the given base directory', () => {
    const result = loadConfigFrom(
      { kind: 'yaml', text: 'server_name: x.org\ndata_dir: d\n', baseDir: '/base' },
      {},
      cwd,
    )
    expect(result.ok && result.value.dataDir).toBe('/base/d')
    const bad = loadConfigFrom({ kind: 'yaml', text: 'a: [', baseDir: '/base' }, {}, cwd)
    expect(bad.ok).toBe(false)
  })

  it('parses to plain data', () => {
    expect(parseYaml('a: 1\nb: [x]\n', 'test')).toEqual({ ok: true, value: { a: 1, b: ['x'] } })
  })
})
