import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { freePort } from './free-port.js'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const RHIZOME_BIN = join(REPO_ROOT, 'packages/server/bin/rhizome.js')
/** The Node flags the command's `#!` line runs it with: the server runs here as it runs anywhere. */
const NODE_FLAGS = nodeFlagsOf(readFileSync(RHIZOME_BIN, 'utf8'))
const SHUTDOWN_LIMIT_MS = 15_000

export interface HomeserverOptions {
  /** `sqlite:` (a file in the server's data directory, the default) or a postgres:// URL. */
  readonly database?: string
  readonly serverName?: string
  /** Extra configuration keys, merged over the defaults below. */
  readonly config?: Readonly<Record<string, unknown>>
  /** Listeners besides the plain-HTTP one on `port` (a TLS federation listener, say). */
  readonly extraListeners?: readonly Readonly<Record<string, unknown>>[]
}

/**
 * A homeserver in its own process, started with the real `rhizome start` command and a config
 * file, as an operator would run it. It can be stopped gracefully, killed with SIGKILL, and
 * started again on the same port and data.
 */
export class HomeserverProcess {
  #child: ChildProcess | undefined
  #output = ''

  private constructor(
    readonly dataDir: string,
    readonly configPath: string,
    readonly port: number,
    readonly serverName: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The process ID while it runs (for reading its memory use). */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** What the process printed, for failure messages. */
  get output(): string {
    return this.#output
  }

  /** The end of what the process printed: enough to see why it failed. */
  private get outputTail(): string {
    return this.#output.slice(-6000)
  }

  static async start(options: HomeserverOptions = {}): Promise<HomeserverProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), 'rhizome-e2e-'))
    const port = await freePort()
    const serverName = options.serverName ?? `localhost:${port}`
    const config = {
      server_name: serverName,
      public_baseurl: `http://127.0.0.1:${port}/`,
      listeners: [
        { bind: '127.0.0.1', port, resources: ['client', 'federation', 'media'] },
        ...(options.extraListeners ?? []),
      ],
      database: options.database ?? `sqlite:${join(dataDir, 'homeserver.db')}`,
      data_dir: dataDir,
      signing_key_path: join(dataDir, 'signing.key'),
      registration: { enabled: true },
      // The suites send in bursts from one address; limits have their own tests.
      rate_limiting: { enabled: false },
      federation: { enabled: false },
      log: { level: 'info', format: 'json' },
      ...options.config,
    }
    const configPath = join(dataDir, 'homeserver.yaml')
    await writeFile(configPath, stringify(config))
    const server = new HomeserverProcess(dataDir, configPath, port, serverName)
    await server.launch()
    return server
  }

  /** Starts the process (again) and resolves once it answers HTTP. */
  async launch(): Promise<void> {
    if (this.#child) throw new Error('the homeserver is already running')
    const args = [...NODE_FLAGS, RHIZOME_BIN, 'start', '--config', this.configPath]
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    const collect = (chunk: Buffer): void => {
      this.#output += chunk.toString('utf8')
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        reject(
          new Error(`rhizome exited (${code ?? signal}) before it answered:\n${this.outputTail}`),
        )
      })
    })
    exited.catch(() => undefined)
    await Promise.race([this.waitUntilAnswering(), exited])
    child.removeAllListeners('exit')
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined
    })
  }

  private async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + 30_000
    for (;;) {
      try {
        const response = await fetch(`${this.baseUrl}/_matrix/client/versions`)
        if (response.ok) return
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`rhizome did not answer in 30 s:\n${this.outputTail}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** SIGTERM, and waits for the process to finish its graceful shutdown. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM')
  }

  /** SIGKILL: the process gets no chance to flush or clean up anything. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL')
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#child = undefined
      return
    }
    const done = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve()
      })
    })
    child.kill(signal)
    // A graceful shutdown that hangs is a bug worth a clear failure, not a test timeout.
    let timer: NodeJS.Timeout | undefined
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => {
        resolve('hung')
      }, SHUTDOWN_LIMIT_MS)
    })
    const outcome = await Promise.race([done, hung])
    clearTimeout(timer)
    if (outcome === 'hung') {
      child.kill('SIGKILL')
      await done
      this.#child = undefined
      throw new Error(
        `rhizome did not exit within ${SHUTDOWN_LIMIT_MS} ms of ${signal}:\n${this.outputTail}`,
      )
    }
    this.#child = undefined
  }

  /** Stops the process and deletes its data directory. */
  async destroy(): Promise<void> {
    await this.kill()
    await rm(this.dataDir, { recursive: true, force: true })
  }
}

/** The flags after `node` in a `#!/usr/bin/env -S node ...` line. */
export function nodeFlagsOf(script: string): string[] {
  const shebang = /^#!\S*env -S node((?: --\S+)*)\s*$/m.exec(script.split('\n')[0] ?? '')
  if (shebang === null) throw new Error('the rhizome command has no `env -S node` line')
  return (shebang[1] ?? '')
    .trim()
    .split(' ')
    .filter((flag) => flag !== '')
}
