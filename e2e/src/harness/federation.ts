import type { MatrixClient } from 'matrix-js-sdk'
import { afterAll, beforeAll } from 'vitest'
import { makeTestPki, type TestPki } from '../../../packages/server/src/testing/test-ca.js'
import { BACKENDS, type Backend } from './backends.js'
import { freePort } from './free-port.js'
import { HomeserverProcess } from './homeserver.js'
import { LinkProxy } from './link-proxy.js'

/** One server of a federation under test, with its database and its federation address. */
export interface FederatedServer {
  readonly server: HomeserverProcess
  /** `localhost:<port>`: a hostname with a port, which discovery resolves without DNS records. */
  readonly serverName: string
  /** The TLS port that serves the federation API under that name. */
  readonly federationPort: number
  readonly backend: Backend['name']
  /** The relay other servers reach this one through, when started with `linkProxies`. */
  readonly link: LinkProxy | undefined
}

export interface FederationOptions {
  /**
   * Puts a relay (harness/link-proxy.ts) in front of each server's federation listener and names
   * the server after the relay's port, so that a test can cut the links into one server.
   */
  readonly linkProxies?: boolean
}

export interface Federation {
  readonly servers: readonly FederatedServer[]
  /** The certificate authority this run made; every server trusts it and serves its leaf. */
  readonly pki: TestPki
  close(): Promise<void>
}

/**
 * Starts one homeserver per backend given, each in its own process with its own database, as a
 * federation on loopback: each serves its client API over plain HTTP and the federation API
 * over TLS, with a certificate from a CA made for this run, which every server trusts through
 * `federation.extra_ca_files`. Loopback addresses are allowed for this test only.
 */
export async function startFederation(
  backends: readonly Backend[],
  options: FederationOptions = {},
): Promise<Federation> {
  const pki = makeTestPki(['localhost'], ['127.0.0.1', '::1'])
  const started: { server: FederatedServer; drop: () => Promise<void> }[] = []
  const links: LinkProxy[] = []
  try {
    for (const backend of backends) {
      const db = await backend.open()
      const federationPort = await freePort()
      let link: LinkProxy | undefined
      if (options.linkProxies === true) {
        link = await LinkProxy.start(await freePort(), federationPort)
        links.push(link)
      }
      const serverName = `localhost:${link?.port ?? federationPort}`
      const server = await HomeserverProcess.start({
        serverName,
        ...(db.database === undefined ? {} : { database: db.database }),
        extraListeners: [
          {
            bind: '127.0.0.1',
            port: federationPort,
            resources: ['federation'],
            tls: { certificate: `${pki.dir}/leaf.pem`, key: `${pki.dir}/leaf.key` },
          },
        ],
        config: {
          federation: {
            enabled: true,
            extra_ca_files: [pki.caPath],
            allow_private_addresses: true,
          },
        },
      })
      started.push({
        server: { server, serverName, federationPort, backend: backend.name, link },
        drop: db.drop,
      })
    }
  } catch (error) {
    for (const s of started) await s.server.server.destroy()
    for (const link of links) await link.close()
    pki.remove()
    throw error
  }
  return {
    servers: started.map((s) => s.server),
    pki,
    async close() {
      for (const s of started) {
        await s.server.server.destroy()
        await s.drop()
      }
      for (const link of links) await link.close()
      pki.remove()
    },
  }
}

/**
 * Three servers for a suite, A, B and C, started before its tests and closed after them, with
 * B on PostgreSQL when it is available. The clients a test adds to `clients` are stopped first.
 */
export function useThreeServers(options: FederationOptions = {}): {
  readonly federation: () => Federation
  readonly clients: MatrixClient[]
} {
  let federation: Federation | undefined
  const clients: MatrixClient[] = []
  beforeAll(async () => {
    const sqlite = BACKENDS[0]
    if (sqlite === undefined) throw new Error('no backend')
    federation = await startFederation([sqlite, BACKENDS[1] ?? sqlite, sqlite], options)
  }, 120_000)
  afterAll(async () => {
    for (const client of clients) client.stopClient()
    await federation?.close()
  })
  return {
    federation: () => {
      if (federation === undefined) throw new Error('the servers are not started')
      return federation
    },
    clients,
  }
}

/** The bodies of the room's messages in the client's live timeline, oldest first. */
export function messageBodies(client: MatrixClient, roomId: string): string[] {
  return (
    client
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getEvents()
      .filter((e) => e.getType() === 'm.room.message')
      .map((e) => String(e.getContent()['body'])) ?? []
  )
}
