import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request } from 'node:https'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { captureLogs } from '../testing/capture-logs.js'
import { testConfig } from '../testing/test-config.js'
import { TEST_TLS_CERT, TEST_TLS_KEY } from '../testing/tls-fixture.js'
import { startHomeserver, type RunningHomeserver } from './start-homeserver.js'

const root = mkdtempSync(join(tmpdir(), 'rhizome-start-'))
const running: RunningHomeserver[] = []
let dirs = 0

afterAll(async () => {
  await Promise.all(running.map((s) => s.close()))
  rmSync(root, { recursive: true, force: true })
})

function freshDir(): string {
  return join(root, `d${++dirs}`)
}

async function start(raw: Record<string, unknown>, dataDir = freshDir()) {
  const logs = captureLogs()
  const result = await startHomeserver(testConfig(dataDir, raw), logs.logger)
  if (result.ok) running.push(result.value)
  return { result, logs, dataDir }
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

/** GET as JSON from a chosen local address (any 127.x.y.z reaches a loopback listener). */
function getJson(
  url: string,
  token: string,
  localAddress: string,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { localAddress, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => {
          resolve(JSON.parse(text) as Record<string, unknown>)
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`)
    return false
  } catch {
    return true
  }
}

describe('startHomeserver', () => {
  it('serves each listener its own resources, creates the data directory and the signing key', async () => {
    const { result, logs, dataDir } = await start({
      listeners: [
        { bind: '127.0.0.1', port: 0, resources: ['client'] },
        { bind: '127.0.0.1', port: 0, resources: ['federation'] },
      ],
    })
    if (!result.ok) throw new Error(result.error)
    const [client, federation] = result.value.listeners
    if (client === undefined || federation === undefined) throw new Error('two listeners expected')
    expect(client.url).toBe(`http://127.0.0.1:${client.port}/`)
    expect((await fetch(`${client.url}_matrix/client/versions`)).status).toBe(200)
    expect((await fetch(`${client.url}_matrix/key/v2/server`)).status).toBe(404)
    expect((await fetch(`${federation.url}_matrix/key/v2/server`)).status).toBe(200)
    expect((await fetch(`${federation.url}_matrix/client/versions`)).status).toBe(404)
    expect(statSync(join(dataDir, 'signing.key')).mode & 0o777).toBe(0o600)
    const messages = logs.entries().map((e) => e['msg'])
    expect(messages).toContain('created a new signing key')
    expect(messages).toContain('homeserver started')
    expect(messages).not.toContain(
      'registration is open: anyone who can reach this server can create an account',
    )

    await result.value.close()
    expect(await refused(client.port)).toBe(true)
  })

  it('serves HTTPS on a listener with TLS', async () => {
    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'cert.pem'), TEST_TLS_CERT)
    writeFileSync(join(dir, 'key.pem'), TEST_TLS_KEY)
    const { result } = await start(
      { listeners: [{ port: 0, tls: { certificate: 'cert.pem', key: 'key.pem' } }] },
      dir,
    )
    if (!result.ok) throw new Error(result.error)
    const url = result.value.listeners[0]?.url ?? ''
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/)
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${url}_matrix/client/versions`, { ca: TEST_TLS_CERT }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => {
          resolve(text)
        })
      })
      req.on('error', reject)
      req.end()
    })
    expect(JSON.parse(body)).toHaveProperty('versions')
  })

  it('warns when registration is open', async () => {
    const { result, logs } = await start({ registration: { enabled: true } })
    expect(result.ok).toBe(true)
    const warning = logs.entries().find((e) => e['level'] === 40)
    expect(warning?.['msg']).toBe(
      'registration is open: anyone who can reach this server can create an account',
    )
  })

  it('shuts down promptly while a long-poll holds a keep-alive connection', async () => {
    const { result } = await start({ registration: { enabled: true } })
    if (!result.ok) throw new Error(result.error)
    const server = result.value
    const base = server.listeners[0]?.url.replace(/\/$/, '') ?? ''
    const registerBody = { username: 'sleeper', password: 'a long password for tests' }
    const first = await fetch(`${base}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify(registerBody),
    })
    const { session } = (await first.json()) as { session: string }
    const registered = await fetch(`${base}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify({ ...registerBody, auth: { type: 'm.login.dummy', session } }),
    })
    const { access_token: token } = (await registered.json()) as { access_token: string }
    const headers = { authorization: `Bearer ${token}` }
    const initial = await fetch(`${base}/_matrix/client/v3/sync?timeout=0`, { headers })
    const { next_batch: since } = (await initial.json()) as { next_batch: string }
    // fetch keeps its connection alive; this poll is in flight when the shutdown begins.
    const poll = fetch(`${base}/_matrix/client/v3/sync?timeout=30000&since=${since}`, { headers })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const started = Date.now()
    await server.close()
    running.splice(running.indexOf(server), 1)
    // The keep-alive idle timeout is over a minute; a shutdown that waited for it is a hang.
    expect(Date.now() - started).toBeLessThan(5000)
    expect((await poll).status).toBe(200)
  })

  it('records where and when each device was last seen as it makes requests', async () => {
    const { result } = await start({ registration: { enabled: true } })
    if (!result.ok) throw new Error(result.error)
    const base = result.value.listeners[0]?.url.replace(/\/$/, '') ?? ''
    const registerBody = { username: 'roamer', password: 'a long password for tests' }
    const first = await fetch(`${base}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify(registerBody),
    })
    const { session } = (await first.json()) as { session: string }
    const registered = await fetch(`${base}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify({ ...registerBody, auth: { type: 'm.login.dummy', session } }),
    })
    const { access_token: token, device_id: deviceId } = (await registered.json()) as {
      access_token: string
      device_id: string
    }
    // Registered from 127.0.0.1; the next request comes from another loopback address.
    const whoami = await getJson(`${base}/_matrix/client/v3/account/whoami`, token, '127.0.0.2')
    expect(whoami['device_id']).toBe(deviceId)
    let device: Record<string, unknown> = {}
    const deadline = Date.now() + 5000
    while (device['last_seen_ip'] !== '127.0.0.2' && Date.now() < deadline) {
      device = await getJson(`${base}/_matrix/client/v3/devices/${deviceId}`, token, '127.0.0.2')
    }
    expect(device['last_seen_ip']).toBe('127.0.0.2')
    expect(typeof device['last_seen_ts']).toBe('number')
  })

  it('parts a deactivated account from its rooms', async () => {
    const { result } = await start({
      registration: { enabled: true },
      rate_limiting: { enabled: false },
    })
    if (!result.ok) throw new Error(result.error)
    const base = `${result.value.listeners[0]?.url ?? ''}_matrix/client/v3`
    const call = async (path: string, token: string | undefined, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    const register = async (username: string): Promise<string> => {
      const password = 'a long password for tests'
      const { body } = await call('/register', undefined, { username, password })
      const done = await call('/register', undefined, {
        username,
        password,
        auth: { type: 'm.login.dummy', session: body['session'] },
      })
      expect(done.body).toHaveProperty('access_token')
      return String(done.body['access_token'])
    }
    const alice = await register('stayer')
    const bob = await register('leaver')
    const created = await call('/createRoom', alice, { preset: 'public_chat' })
    expect(created.status).toBe(200)
    const roomId = String(created.body['room_id'])
    expect((await call(`/rooms/${encodeURIComponent(roomId)}/join`, bob, {})).status).toBe(200)

    const challenge = await call('/account/deactivate', bob, {})
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'leaver' },
      password: 'a long password for tests',
      session: challenge.body['session'],
    }
    expect((await call('/account/deactivate', bob, { auth })).status).toBe(200)
    const members = await fetch(`${base}/rooms/${encodeURIComponent(roomId)}/joined_members`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    const joined = ((await members.json()) as { joined: Record<string, unknown> }).joined
    expect(Object.keys(joined)).toEqual([expect.stringMatching(/^@stayer:/)])
  })

  it('starts nothing when a port is taken, closing the listeners already open', async () => {
    const first = await freePort()
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const address = blocker.address()
    const taken = typeof address === 'object' && address !== null ? address.port : 0
    try {
      const { result } = await start({ listeners: [{ port: first }, { port: taken }] })
      expect(result.ok).toBe(false)
      expect(!result.ok && result.error).toMatch(
        new RegExp(`^listeners\\[1\\]: cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`),
      )
      expect(await refused(first)).toBe(true)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })

  it('starts nothing when a TLS file is missing or invalid', async () => {
    const missing = await start({
      listeners: [{ port: 0 }, { port: 0, tls: { certificate: 'nope.pem', key: 'nope.key' } }],
    })
    expect(!missing.result.ok && missing.result.error).toMatch(
      /^listeners\[1\]\.tls\.certificate: cannot read .*nope\.pem: ENOENT/,
    )
    expect(existsSync(join(missing.dataDir, 'signing.key'))).toBe(false)

    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'cert.pem'), 'not a certificate')
    writeFileSync(join(dir, 'key.pem'), TEST_TLS_KEY)
    const invalid = await start(
      { listeners: [{ port: 0, tls: { certificate: 'cert.pem', key: 'key.pem' } }] },
      dir,
    )
    expect(!invalid.result.ok && invalid.result.error).toMatch(
      /^listeners\[0\]: cannot listen on 127\.0\.0\.1:0: /,
    )

    const noKey = await start({
      listeners: [{ port: 0, tls: { certificate: '/dev/null', key: 'absent.pem' } }],
    })
    expect(!noKey.result.ok && noKey.result.error).toMatch(/^listeners\[0\]\.tls\.key: cannot read/)
  })

  it('starts nothing when the data directory or the signing key is unusable', async () => {
    const file = join(root, 'a-file')
    writeFileSync(file, 'x')
    const badDir = await start({}, join(file, 'data'))
    expect(!badDir.result.ok && badDir.result.error).toMatch(/^data_dir: cannot create .*ENOTDIR/)

    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'signing.key'), 'garbage\n')
    const badKey = await start({}, dir)
    expect(!badKey.result.ok && badKey.result.error).toMatch(
      /^signing_key_path: bad signing key file/,
    )
  })
})
