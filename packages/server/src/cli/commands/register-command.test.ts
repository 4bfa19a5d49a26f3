import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startHomeserver } from '../../app/start-homeserver.js'
import { captureLogs } from '../../testing/capture-logs.js'
import { testConfig } from '../../testing/test-config.js'
import type { CliIo } from '../cli-io.js'
import { runCli } from '../run-cli.js'

const root = mkdtempSync(join(tmpdir(), 'rhizome-register-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})
let dirs = 0

/** A data directory and a config file naming it, as an administrator would have them. */
function setup(): { dataDir: string; configPath: string } {
  const dataDir = join(root, `d${++dirs}`)
  const configPath = join(root, `c${dirs}.yaml`)
  writeFileSync(configPath, `server_name: example.org\ndata_dir: ${dataDir}\n`)
  return { dataDir, configPath }
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const logs = captureLogs()
  const io: CliIo = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    cwd: root,
    createLogger: () => logs.logger,
    waitForShutdown: () => Promise.resolve(),
  }
  return { code: await runCli(argv, io), out, err }
}

async function login(dataDir: string, user: string, password: string) {
  const logs = captureLogs()
  const started = await startHomeserver(testConfig(dataDir), logs.logger)
  if (!started.ok) throw new Error(started.error)
  try {
    const url = started.value.listeners[0]?.url ?? ''
    const response = await fetch(`${url}_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', user, password }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  } finally {
    await started.value.close()
  }
}

describe('rhizome register', () => {
  it('creates an account in the configured database, which can then log in', async () => {
    const { dataDir, configPath } = setup()
    const result = await run([
      'register',
      '--config',
      configPath,
      '--user',
      'Alice',
      '--password',
      'cli-secret',
    ])
    expect(result).toEqual({ code: 0, out: 'Created the account @alice:example.org\n', err: '' })
    const ok = await login(dataDir, 'alice', 'cli-secret')
    expect(ok.status).toBe(200)
    expect(ok.body['user_id']).toBe('@alice:example.org')
    expect((await login(dataDir, 'alice', 'wrong')).status).toBe(403)
  })

  it('creates administrators, and takes a full user ID of this server', async () => {
    const { configPath } = setup()
    const result = await run([
      'register',
      '-c',
      configPath,
      '-u',
      '@root:example.org',
      '-p',
      'pw',
      '--admin',
    ])
    expect(result.out).toBe('Created the administrator account @root:example.org\n')
    expect(result.code).toBe(0)
  })

  it('refuses a taken name, and creates nothing', async () => {
    const { configPath } = setup()
    const args = ['register', '--config', configPath, '--user', 'bob', '--password', 'pw']
    expect((await run(args)).code).toBe(0)
    const again = await run(args)
    expect(again.code).toBe(1)
    expect(again.out).toBe('')
    expect(again.err).toBe(
      'rhizome register: cannot create @bob:example.org: That user ID is already taken\n' +
        'No account was created.\n',
    )
  })

  it('refuses invalid names, other servers and empty passwords as usage errors', async () => {
    const { configPath } = setup()
    const cases: [string, string, RegExp][] = [
      ['not valid', 'pw', /--user: A username may only contain/],
      ['@carol:other.org', 'pw', /not a user ID of this server \(example\.org\)/],
      ['carol', '', /The password must not be empty/],
    ]
    for (const [user, password, message] of cases) {
      const result = await run(['register', '-c', configPath, '-u', user, '-p', password])
      expect(result.code, user).toBe(2)
      expect(result.err, user).toMatch(message)
      expect(result.out).toBe('')
    }
  })

  it('reports a database that cannot be opened', async () => {
    const file = join(root, 'a-file')
    writeFileSync(file, 'x')
    const configPath = join(root, 'bad-db.yaml')
    writeFileSync(configPath, `server_name: example.org\ndata_dir: ${file}/data\n`)
    const result = await run(['register', '-c', configPath, '-u', 'dave', '-p', 'pw'])
    expect(result.code).toBe(1)
    expect(result.err).toMatch(
      /^rhizome register: cannot open the database sqlite:.*\nNo account was created\.\n$/,
    )
  })
})
