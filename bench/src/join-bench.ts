/**
 * Joining a large room over federation (server-server-api §Joining Rooms): a resident server
 * holds a public room of BENCH_JOIN_MEMBERS members (10,000 by default), and a second server,
 * both real processes on loopback with real TLS from a throwaway CA, joins it through one of its
 * users. Figures: the join as the client sees it (`POST /join`) with the joining process's CPU
 * time in it, the joining server's own timings of the make_join and send_join round trips, of
 * checking the answer (signatures, hashes, auth rules of every event) and of storing it, read
 * from its log, and the joining process's peak resident memory (VmHWM) beside its memory at idle.
 * The resident's push rule backlog is marked done (see synthetic-room.ts) and a joined server is
 * kept running to the end, since a later joiner checks its join with its key.
 *
 * Setup shortcut: the room is written into the resident's database before it starts (see
 * synthetic-room.ts), on a RAM disk when there is one, since 10,000 durable commits would
 * measure the disk, not the join. The joining server keeps the normal durable SQLite file, and
 * joins again on PostgreSQL when RHIZOME_TEST_POSTGRES is set.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPostgresDatabase, POSTGRES_URL } from '../../e2e/src/harness/databases.js'
import { freePort } from '../../e2e/src/harness/free-port.js'
import { HomeserverProcess } from '../../e2e/src/harness/homeserver.js'
import { makeTestPki, type TestPki } from '../../packages/server/src/testing/test-ca.js'
import { register, type Session } from './matrix-http.js'
import { cpuMilliseconds, peakResidentMegabytes, residentMegabytes } from './stats.js'
import { buildSyntheticRoom } from './synthetic-room.js'

const MEMBERS = Number(process.env['BENCH_JOIN_MEMBERS'] ?? 10_000)
const TARGET_SECONDS = 10
const JOIN_LOG_MESSAGE = 'joined a room through another server'

interface JoinTimings {
  readonly make_join_ms: number
  readonly send_join_ms: number
  readonly verify_ms: number
  readonly store_ms: number
  readonly events: number
}

/** A server with its federation listener on TLS, trusting the run's CA, as e2e's harness starts them. */
async function federatedServer(
  pki: TestPki,
  options: { federationPort?: number; database?: string; signingKeyPath?: string },
): Promise<HomeserverProcess> {
  const federationPort = options.federationPort ?? (await freePort())
  return HomeserverProcess.start({
    serverName: `localhost:${federationPort}`,
    ...(options.database === undefined ? {} : { database: options.database }),
    extraListeners: [
      {
        bind: '127.0.0.1',
        port: federationPort,
        resources: ['federation'],
        tls: { certificate: `${pki.dir}/leaf.pem`, key: `${pki.dir}/leaf.key` },
      },
    ],
    config: {
      federation: { enabled: true, extra_ca_files: [pki.caPath], allow_private_addresses: true },
      ...(options.signingKeyPath === undefined ? {} : { signing_key_path: options.signingKeyPath }),
    },
  })
}

async function joinOver(session: Session, roomId: string, via: string): Promise<void> {
  const query = new URLSearchParams({ server_name: via })
  const response = await fetch(
    `${session.baseUrl}/_matrix/client/v3/join/${encodeURIComponent(roomId)}?${query.toString()}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        'content-type': 'application/json',
      },
      body: '{}',
    },
  )
  if (!response.ok) throw new Error(`join: HTTP ${response.status} ${await response.text()}`)
}

/** The timings the joining server logged for its join (its log is written asynchronously). */
async function loggedTimings(server: HomeserverProcess): Promise<JoinTimings> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = timingsIn(server.output)
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the joining server logged no join timings:\n${server.output.slice(-3000)}`)
}

function timingsIn(output: string): JoinTimings | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(JOIN_LOG_MESSAGE)) continue
    const parsed = JSON.parse(line) as Partial<JoinTimings>
    const { make_join_ms, send_join_ms, verify_ms, store_ms, events } = parsed
    if (
      typeof make_join_ms === 'number' &&
      typeof send_join_ms === 'number' &&
      typeof verify_ms === 'number' &&
      typeof store_ms === 'number' &&
      typeof events === 'number'
    ) {
      return { make_join_ms, send_join_ms, verify_ms, store_ms, events }
    }
  }
  return undefined
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

async function measureJoin(
  pki: TestPki,
  backend: string,
  database: string | undefined,
  roomId: string,
  resident: string,
  running: HomeserverProcess[],
): Promise<void> {
  const joiner = await federatedServer(pki, database === undefined ? {} : { database })
  // Kept running until the end: a later joiner checks this one's join, with its key.
  running.push(joiner)
  const pid = joiner.pid
  if (pid === undefined) throw new Error('the joining server has no process ID')
  const session = await register(joiner.baseUrl, 'bench-joiner')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const idleMb = await residentMegabytes(pid)
  const cpuBefore = await cpuMilliseconds(pid)
  const start = performance.now()
  await joinOver(session, roomId, resident)
  const total = performance.now() - start
  const cpu = (await cpuMilliseconds(pid)) - cpuBefore
  const timings = await loggedTimings(joiner)
  const peakMb = await peakResidentMegabytes(pid)
  const checkAndStore = timings.verify_ms + timings.store_ms
  console.log(
    `[${backend}] join as the client sees it: ${seconds(total)} (the joining server's CPU time in it: ${seconds(cpu)})`,
  )
  console.log(
    `[${backend}] make_join round trip: ${seconds(timings.make_join_ms)}; send_join round trip (the resident's work and the transfer): ${seconds(timings.send_join_ms)}`,
  )
  console.log(
    `[${backend}] check and store the send_join answer (${timings.events} events): ${seconds(checkAndStore)} (target ${TARGET_SECONDS} s)`,
  )
  console.log(
    `[${backend}]   of which checks (signatures, hashes, auth rules): ${seconds(timings.verify_ms)}, storing: ${seconds(timings.store_ms)}`,
  )
  console.log(
    `[${backend}] joining server's peak resident memory: ${peakMb.toFixed(1)} MB (baseline: ${idleMb.toFixed(1)} MB at idle before the join)`,
  )
}

async function main(): Promise<void> {
  console.log(
    `\n# Federation join benchmark: Node ${process.version}, ${cpus().length} cores, a room of ${MEMBERS.toLocaleString('en-US')} members`,
  )
  const pki = makeTestPki(['localhost'], ['127.0.0.1', '::1'])
  const ramDisk = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const residentDir = await mkdtemp(join(ramDisk, 'rhizome-bench-resident-'))
  const running: HomeserverProcess[] = []
  const databases: { drop(): Promise<void> }[] = []
  try {
    const federationPort = await freePort()
    const residentName = `localhost:${federationPort}`
    const database = `sqlite:${join(residentDir, 'homeserver.db')}`
    const buildStart = performance.now()
    const room = await buildSyntheticRoom({
      databaseUrl: database,
      signingKeyPath: join(residentDir, 'signing.key'),
      serverName: residentName,
      members: MEMBERS,
    })
    console.log(
      `resident room built in ${seconds(performance.now() - buildStart)} (${room.events} events, setup only)`,
    )
    running.push(
      await federatedServer(pki, {
        federationPort,
        database,
        signingKeyPath: join(residentDir, 'signing.key'),
      }),
    )
    await measureJoin(pki, 'sqlite', undefined, room.roomId, residentName, running)
    if (POSTGRES_URL !== undefined) {
      const db = await createPostgresDatabase(POSTGRES_URL)
      databases.push(db)
      await measureJoin(pki, 'postgres', db.url, room.roomId, residentName, running)
    } else {
      console.log('(PostgreSQL skipped: set RHIZOME_TEST_POSTGRES to join on it too)')
    }
  } finally {
    for (const server of running) await server.stop().catch(() => undefined)
    for (const server of running) await server.destroy()
    for (const db of databases) await db.drop()
    await rm(residentDir, { recursive: true, force: true })
    pki.remove()
  }
}

await main()
