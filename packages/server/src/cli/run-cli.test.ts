import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunningHomeserver } from '../app/start-homeserver.js'
import { captureLogs } from '../testing/capture-logs.js'
import type { CliIo } from './cli-io.js'
import { runCli } from './run-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-cli-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  readonly code: number
  readonly out: string
  readonly err: string
  readonly logs: string
}

/** Runs a command line in-process; `whileRunning` gets the started server before it stops. */
async function run(
  argv: string[],
  whileRunning: (server: RunningHomeserver) => Promise<void> = () => Promise.resolve(),
  cwd = dir,
): Promise<Run> {
  let out = ''
  let err = ''
  const logs = captureLogs()
  const io: CliIo = {
    out: (text) => {
      out += text
    },
    err: (text) => {
      err += text
    },
    cwd,
    createLogger: () => logs.logger,
    waitForShutdown: whileRunning,
  }
  const code = await runCli(argv, io)
  return { code, out, err, logs: logs.text() }
}

function configFile(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('rhizome', () => {
  it('prints its usage for --help, -h and help', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const result = await run([flag])
      expect(result.code).toBe(0)
      expect(result.out).toMatch(/^Usage: rhizome <command>/)
      expect(result.out).toContain('generate-config')
    }
  })

  it('refuses no command or an unknown one with exit status 2', async () => {
    expect(await run([])).toMatchObject({ code: 2, out: '' })
    const unknown = await run(['serve'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/^rhizome: unknown command "serve"/)
  })

  it('has --help on every command', async () => {
    for (const [command, usage] of [
      ['start', 'Usage: rhizome start'],
      ['generate-config', 'Usage: rhizome generate-config'],
      ['register', 'Usage: rhizome register'],
    ] as const) {
      const result = await run([command, '--help'])
      expect(result.code).toBe(0)
      expect(result.out.startsWith(usage)).toBe(true)
      expect((await run([command, '-h'])).out).toBe(result.out)
    }
  })

  it('refuses unknown flags and stray arguments on every command', async () => {
    for (const command of ['start', 'generate-config', 'register']) {
      const result = await run([command, '--bogus'])
      expect(result.code).toBe(2)
      expect(result.err).toMatch(new RegExp(`^rhizome ${command}: Unknown option '--bogus'`))
      expect((await run([command, 'stray'])).code).toBe(2)
    }
  })
})

describe('rhizome generate-config', () => {
  it('prints a commented configuration that start accepts', async () => {
    const result = await run(['generate-config', '--server-name', 'example.org'])
    expect(result.code).toBe(0)
    expect(result.out).toContain('server_name: "example.org"')
    const path = configFile('generated.yaml', result.out.replace('port: 8008', 'port: 0'))
    const started = await run(['start', '--config', path], async (server) => {
      expect(server.config.serverName).toBe('example.org')
      return Promise.resolve()
    })
    expect(started.err).toBe('')
    expect(started.code).toBe(0)
  })

  it('needs a valid --server-name', async () => {
    const missing = await run(['generate-config'])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/--server-name is required/)
    const bad = await run(['generate-config', '--server-name', 'no spaces'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/^rhizome generate-config: --server-name: server name/)
    expect(bad.out).toBe('')
  })
})

describe('rhizome register', () => {
  it('needs --user and --password', async () => {
    const result = await run(['register', '--dev'])
    expect(result.code).toBe(2)
    expect(result.err).toMatch(/^rhizome register: --user and --password are required/)
    expect((await run(['register', '--dev', '--user', 'a'])).err).toMatch(/--password is required/)
  })

  it('checks the configuration', async () => {
    const result = await run(['register', '--user', 'a', '--password', 'p'])
    expect(result.code).toBe(1)
    expect(result.err).toContain('server_name: required')
  })

  it('creates the account in the development database (more in register-command.test.ts)', async () => {
    const result = await run([
      'register',
      '--dev',
      '--user',
      'alice',
      '--password',
      'pw',
      '--admin',
    ])
    expect(result.code).toBe(0)
    expect(result.out).toBe('Created the administrator account @alice:localhost:8008\n')
    expect(result.err).toBe('')
  })
})

describe('rhizome start', () => {
  it('names every bad key and starts nothing', async () => {
    const path = configFile(
      'bad.yaml',
      'server_name: example.org\nlisteners:\n  - port: abc\nlog: { level: loud }\ncolour: blue\n',
    )
    const result = await run(['start', '--config', path], () => {
      throw new Error('must not start')
    })
    expect(result.code).toBe(1)
    expect(result.err).toBe(
      'rhizome start: the configuration has 3 problems:\n' +
        '  colour: unknown key (expected one of server_name, public_baseurl, listeners, database, data_dir, signing_key_path, registration, rate_limiting, federation, presence, push, media, http, web_client, log)\n' +
        '  listeners[0].port: expected an integer 0-65535, got "abc"\n' +
        '  log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"\n',
    )
  })

  it('names a bad flag', async () => {
    const result = await run(['start', '--server-name', 'example.org', '--listen', 'nowhere'])
    expect(result.code).toBe(1)
    expect(result.err).toMatch(
      /^rhizome start: the configuration has a problem:\n {2}--listen: expected HOST:PORT/,
    )
  })

  it('refuses --dev together with --config', async () => {
    const result = await run(['start', '--dev', '--config', 'x.yaml'])
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/--dev and --config cannot be combined/)
  })

  it('runs from flags alone until told to stop, then closes', async () => {
    let url = ''
    const result = await run(
      [
        'start',
        '--server-name',
        'example.org',
        '--listen',
        '127.0.0.1:0',
        '--data-dir',
        'flags-data',
      ],
      async (server) => {
        url = server.listeners[0]?.url ?? ''
        const response = await fetch(`${url}_matrix/client/versions`)
        expect(response.status).toBe(200)
      },
    )
    expect(result.code).toBe(0)
    expect(result.out).toContain('Rhizome is running as example.org.')
    expect(result.out).toContain(`Listening:   ${url} (client, federation, media)`)
    expect(result.out).toContain(`Data:        ${join(dir, 'flags-data')}`)
    expect(result.logs).toContain('shutting down')
    await expect(fetch(`${url}_matrix/client/versions`)).rejects.toThrow()
  })

  it('runs the development server: open registration, with a warning and how to sign in', async () => {
    const result = await run(['start', '--dev', '--listen', '127.0.0.1:0'])
    expect(result.code).toBe(0)
    expect(result.out).toContain('Rhizome is running as localhost:8008.')
    expect(result.out).toContain('Client API:  http://localhost:8008/')
    expect(result.out).toContain('Warning: registration is open')
    expect(result.out).toMatch(/login and registration answer M_UNRECOGNIZED|To log in/)
    expect(result.out).toContain(`Data:        ${join(dir, 'data')}`)
    expect(result.logs).toContain('registration is open')
  })

  it('reports a server that cannot start, and that nothing was started', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const result = await run([
        'start',
        '--server-name',
        'example.org',
        '--listen',
        `127.0.0.1:${port}`,
      ])
      expect(result.code).toBe(1)
      expect(result.err).toMatch(
        /^rhizome start: listeners\[0\]: cannot listen on .*EADDRINUSE.*\nNothing was started\.\n$/s,
      )
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})
