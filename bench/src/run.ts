/**
 * Whole-server benchmarks: the real rhizome process (SQLite, durable writes) driven over HTTP,
 * each figure printed beside the same requests answered by a bare node:http server in the same
 * run, which shows the floor that HTTP and this client impose.
 */
import { cpus } from 'node:os'
import { HomeserverProcess } from '../../e2e/src/harness/homeserver.js'
import { startBareServer } from './bare-server.js'
import { createRoom, join, register, send, sync, type Session } from './matrix-http.js'
import { formatMs, formatRate, percentile, residentMegabytes } from './stats.js'

const SERIAL_SENDS = Number(process.env['BENCH_SERIAL_SENDS'] ?? 1000)
const CONCURRENT_CLIENTS = 8
const CONCURRENT_SENDS_EACH = Number(process.env['BENCH_CONCURRENT_SENDS'] ?? 250)
const WAKE_UPS = Number(process.env['BENCH_WAKE_UPS'] ?? 200)

interface Target {
  readonly name: string
  readonly sender: Session
  readonly receiver: Session
  readonly roomId: string
  /** One session and room per concurrent client. */
  readonly clients: readonly { session: Session; roomId: string }[]
}

async function serialSends(target: Target): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < SERIAL_SENDS; i++) await send(target.sender, target.roomId, `serial ${i}`)
  return SERIAL_SENDS / ((performance.now() - start) / 1000)
}

async function concurrentSends(
  target: Target,
  roomFor: (client: number) => { session: Session; roomId: string },
): Promise<number> {
  const start = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENT_CLIENTS }, async (_, client) => {
      const { session, roomId } = roomFor(client)
      for (let i = 0; i < CONCURRENT_SENDS_EACH; i++) await send(session, roomId, `c${client} ${i}`)
    }),
  )
  return (CONCURRENT_CLIENTS * CONCURRENT_SENDS_EACH) / ((performance.now() - start) / 1000)
}

/** From the moment a send is issued until the receiver's pending long-poll returns with it. */
async function wakeUpLatencies(target: Target): Promise<number[]> {
  let since = (await sync(target.receiver, undefined, 0)).nextBatch
  const samples: number[] = []
  for (let i = 0; i < WAKE_UPS; i++) {
    const poll = sync(target.receiver, since, 30_000)
    // Give the long-poll time to arrive and park before the send.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const start = performance.now()
    const sent = send(target.sender, target.roomId, `wake ${i}`)
    let result = await poll
    // A wake-up for unread counts alone (the push processor's batch for an earlier send) is not
    // the send's: poll on until the event itself arrives.
    while (countsOnly(result.json, target.roomId)) {
      result = await sync(target.receiver, result.nextBatch, 30_000)
    }
    samples.push(performance.now() - start)
    await sent
    since = result.nextBatch
    // A long-poll that returned before the event committed would make the next one return at
    // once; drain until the receiver has caught up.
    since = (await sync(target.receiver, since, 0)).nextBatch
  }
  return samples.sort((a, b) => a - b)
}

/** A sync response with the room in it but no timeline event: only its counts changed. */
function countsOnly(json: Record<string, unknown>, roomId: string): boolean {
  const rooms = json['rooms'] as { join?: Record<string, { timeline?: { events?: unknown[] } }> }
  const room = rooms.join?.[roomId]
  return room !== undefined && (room.timeline?.events ?? []).length === 0
}

async function rhizomeTarget(server: HomeserverProcess): Promise<Target> {
  const sender = await register(server.baseUrl, 'bench-sender')
  const receiver = await register(server.baseUrl, 'bench-receiver')
  const roomId = await createRoom(sender, [receiver.userId])
  await join(receiver, roomId)
  const clients = []
  for (let i = 0; i < CONCURRENT_CLIENTS; i++) {
    const session = await register(server.baseUrl, `bench-client-${i}`)
    clients.push({ session, roomId: await createRoom(session) })
  }
  // The eight clients also share one room, with the sender as its creator.
  for (const { session } of clients) {
    await sendInvite(sender, roomId, session.userId)
    await join(session, roomId)
  }
  return { name: 'rhizome', sender, receiver, roomId, clients }
}

async function sendInvite(session: Session, roomId: string, userId: string): Promise<void> {
  const response = await fetch(
    `${session.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ user_id: userId }),
    },
  )
  if (!response.ok) throw new Error(`invite: HTTP ${response.status} ${await response.text()}`)
}

function bareTarget(baseUrl: string): Target {
  const session = (userId: string): Session => ({ baseUrl, accessToken: 'bare', userId })
  return {
    name: 'bare http',
    sender: session('@sender:bare'),
    receiver: session('@receiver:bare'),
    roomId: '!room:bare',
    clients: Array.from({ length: CONCURRENT_CLIENTS }, (_, i) => ({
      session: session(`@c${i}:bare`),
      roomId: `!room${i}:bare`,
    })),
  }
}

function line(name: string, value: string, baseline: string): void {
  console.log(`${name}: ${value} (baseline ${baseline})`)
}

async function main(): Promise<void> {
  console.log(
    `# Rhizome server benchmarks: Node ${process.version}, ${cpus().length} cores, SQLite (synchronous=FULL)`,
  )
  console.log('# baseline: a bare node:http server answering the same requests in the same run\n')
  const server = await HomeserverProcess.start()
  const bare = await startBareServer()
  try {
    const pid = server.pid
    if (pid === undefined) throw new Error('the server has no process ID')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const idleMb = await residentMegabytes(pid)
    const rhizome = await rhizomeTarget(server)
    const baseline = bareTarget(bare.baseUrl)

    line(
      `serial sends (${SERIAL_SENDS}, one client awaiting each)`,
      formatRate(await serialSends(rhizome)),
      formatRate(await serialSends(baseline)),
    )
    line(
      `concurrent sends (${CONCURRENT_CLIENTS} clients x ${CONCURRENT_SENDS_EACH}, one room each)`,
      formatRate(await concurrentSends(rhizome, (i) => rhizome.clients[i % CONCURRENT_CLIENTS]!)),
      formatRate(await concurrentSends(baseline, (i) => baseline.clients[i % CONCURRENT_CLIENTS]!)),
    )
    line(
      `concurrent sends (${CONCURRENT_CLIENTS} clients x ${CONCURRENT_SENDS_EACH}, one shared room)`,
      formatRate(
        await concurrentSends(rhizome, (i) => ({
          session: rhizome.clients[i % CONCURRENT_CLIENTS]!.session,
          roomId: rhizome.roomId,
        })),
      ),
      formatRate(
        await concurrentSends(baseline, (i) => ({
          session: baseline.clients[i % CONCURRENT_CLIENTS]!.session,
          roomId: baseline.roomId,
        })),
      ),
    )
    const ours = await wakeUpLatencies(rhizome)
    const theirs = await wakeUpLatencies(baseline)
    line(
      `sync wake-up latency p50 (${WAKE_UPS} sends)`,
      formatMs(percentile(ours, 50)),
      formatMs(percentile(theirs, 50)),
    )
    line(
      `sync wake-up latency p99 (${WAKE_UPS} sends)`,
      formatMs(percentile(ours, 99)),
      formatMs(percentile(theirs, 99)),
    )
    const afterMb = await residentMegabytes(pid)
    const benchMb = process.memoryUsage.rss() / 1024 / 1024
    console.log(
      `resident memory at idle: ${idleMb.toFixed(1)} MB (this bench process: ${benchMb.toFixed(1)} MB)`,
    )
    console.log(`resident memory after the run: ${afterMb.toFixed(1)} MB`)
  } finally {
    await bare.close()
    await server.destroy()
  }
}

await main()
