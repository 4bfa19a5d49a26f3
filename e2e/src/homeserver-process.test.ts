import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HomeserverProcess } from './harness/homeserver.js'

describe('the rhizome process', () => {
  let server: HomeserverProcess
  beforeAll(async () => {
    server = await HomeserverProcess.start()
  }, 60_000)
  afterAll(async () => {
    await server.destroy()
  })

  it('serves the client API and its key from a config file', async () => {
    const versions = (await (await fetch(`${server.baseUrl}/_matrix/client/versions`)).json()) as {
      versions: string[]
    }
    expect(versions.versions).toContain('v1.19')
    const keys = (await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json()) as {
      server_name: string
    }
    expect(keys.server_name).toBe(server.serverName)
  })

  it('keeps its signing key across SIGKILL and restart', async () => {
    const before = await readFile(join(server.dataDir, 'signing.key'), 'utf8')
    await server.kill()
    await expect(fetch(`${server.baseUrl}/_matrix/client/versions`)).rejects.toThrow()
    await server.launch()
    expect(await readFile(join(server.dataDir, 'signing.key'), 'utf8')).toBe(before)
    const keys = (await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json()) as {
      verify_keys: Record<string, unknown>
    }
    const keyId = before.split(' ').slice(0, 2).join(':')
    expect(Object.keys(keys.verify_keys)).toEqual([keyId])
  }, 60_000)
})
