/**
 * The federation harness: two homeservers, each with its own database, serve the federation API
 * over TLS under `localhost:<port>` with certificates from a CA made by this test. A client that
 * trusts the CA reaches each server's key server; one that does not is refused. And one server,
 * as a notary, fetches the other's keys over federation (discovery, TLS with the CA from
 * `federation.extra_ca_files`) and relays them countersigned.
 */
import { get } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation } from './harness/federation.js'

function fetchJson(url: string, ca: string | undefined): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const request = get(url, ca === undefined ? {} : { ca }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => {
        try {
          resolve(JSON.parse(text) as Record<string, unknown>)
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      })
    })
    request.on('error', reject)
  })
}

describe('a federation of servers on loopback with TLS from a test CA', () => {
  let federation: Federation

  beforeAll(async () => {
    // One server per backend, and a second SQLite one, so there are always two.
    federation = await startFederation([...BACKENDS, ...BACKENDS.slice(0, 1)].slice(0, 3))
  }, 90_000)

  afterAll(async () => {
    await federation.close()
  })

  it('serves each server’s keys under its own name over TLS the CA vouches for', async () => {
    expect(federation.servers.length).toBeGreaterThanOrEqual(2)
    for (const { serverName } of federation.servers) {
      const keys = await fetchJson(
        `https://${serverName}/_matrix/key/v2/server`,
        federation.pki.caPem,
      )
      expect(keys['server_name']).toBe(serverName)
      expect(Object.keys(keys['verify_keys'] as object)).toHaveLength(1)
    }
  })

  it('is refused by a client that does not trust the CA', async () => {
    const first = federation.servers[0]
    if (first === undefined) throw new Error('no server')
    await expect(
      fetchJson(`https://${first.serverName}/_matrix/key/v2/server`, undefined),
    ).rejects.toThrow(/certificate/)
  })

  it('fetches another server’s keys over federation and relays them as a notary', async () => {
    const [a, b] = federation.servers
    if (a === undefined || b === undefined) throw new Error('need two servers')
    const relayed = await fetchJson(
      `https://${a.serverName}/_matrix/key/v2/query/${encodeURIComponent(b.serverName)}`,
      federation.pki.caPem,
    )
    const keys = relayed['server_keys'] as Record<string, unknown>[]
    expect(keys).toHaveLength(1)
    const only = keys[0] ?? {}
    expect(only['server_name']).toBe(b.serverName)
    // Signed by the origin and countersigned by the notary.
    expect(Object.keys(only['signatures'] as object).sort()).toEqual(
      [a.serverName, b.serverName].sort(),
    )
    const direct = await fetchJson(
      `https://${b.serverName}/_matrix/key/v2/server`,
      federation.pki.caPem,
    )
    expect(only['verify_keys']).toEqual(direct['verify_keys'])
  })
})
