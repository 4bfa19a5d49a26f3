/**
 * Push processing cost: how long the background push processor takes per new event, in a small
 * room with a short history, a small room with a long history and a large room with the same long
 * history, beside the send rate it leaves (client-server-api §Push Notifications; the processor
 * is packages/server/src/push/push-processor.ts).
 *
 * It runs in process on a SQLite file (synchronous=FULL, as the server runs it), so the figures
 * are the processor's own, without HTTP. The long history must not change the per-event figure.
 * Members on the default rules share one stored room action per event, so the large room's
 * per-event figure should stay far below its member count times the small room's per-member one.
 *
 * Setup shortcut: the large room's members are written straight into the membership table (the
 * table the processor reads members from) instead of through 10,000 joins.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { parseServerName, parseUserId, signingKeyFromSeed, type RoomId } from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import type { Requester } from '../../packages/server/src/http/authenticate.js'
import { PushProcessor } from '../../packages/server/src/push/push-processor.js'
import {
  createRoomService,
  type RoomService,
} from '../../packages/server/src/rooms/room-service.js'
import type { Storage } from '../../packages/server/src/storage/interface.js'
import { openStorage } from '../../packages/server/src/storage/open-storage.js'
import { formatMs, formatRate } from './stats.js'

const MEMBERS = Number(process.env['BENCH_PUSH_MEMBERS'] ?? 10_000)
const HISTORY = Number(process.env['BENCH_PUSH_HISTORY'] ?? 20_000)
const SHORT_HISTORY = 100
const SMALL_ROOM = 10
const SENDS = Number(process.env['BENCH_PUSH_SENDS'] ?? 100)
const SERVER = 'bench.example'

function must<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result.value
}

const serverName = must(parseServerName(SERVER))
const signingKey = must(signingKeyFromSeed(new Uint8Array(32).fill(3), 'bench', nodeCryptoProvider))

interface Bench {
  readonly storage: Storage
  readonly rooms: RoomService
  readonly processor: PushProcessor
  readonly path: string
}

async function user(bench: Bench, localpart: string): Promise<Requester> {
  const userId = must(parseUserId(`@${localpart}:${SERVER}`))
  must(await bench.storage.accounts.createUser({ userId, createdTs: Date.now() }))
  return { userId, deviceId: 'BENCH', isGuest: false }
}

/** A public room made by `owner`, with `members` joining through the pipeline. */
async function room(
  bench: Bench,
  owner: Requester,
  members: readonly Requester[],
): Promise<RoomId> {
  const roomId = must(
    await bench.rooms.createRoom(owner, {
      visibility: 'private',
      preset: 'public_chat',
      invite: [],
      initialState: [],
      isDirect: false,
    }),
  )
  for (const member of members) must(await bench.rooms.join(member, { kind: 'id', roomId }, {}))
  return roomId
}

let txn = 0
async function sendMessages(
  bench: Bench,
  sender: Requester,
  roomId: RoomId,
  count: number,
): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    must(
      await bench.rooms.sendMessage(sender, roomId, 'm.room.message', `t${++txn}`, {
        msgtype: 'm.text',
        body: `message ${txn}`,
      }),
    )
  }
  return performance.now() - start
}

/** The history, with the processor keeping up now and then (cheap while the room is small). */
async function history(
  bench: Bench,
  sender: Requester,
  roomId: RoomId,
  count: number,
): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    await sendMessages(bench, sender, roomId, Math.min(1000, count - done))
    await bench.processor.drain()
  }
}

interface Measure {
  readonly name: string
  readonly members: number
  readonly sendMs: number
  readonly processMs: number
  readonly sendWhileProcessingMs: number
}

/**
 * Sends SENDS messages with the processor idle (send cost alone), evaluates them (processing
 * cost), then sends SENDS more with the processor following in the background as the server runs
 * it, and waits for it to catch up.
 */
async function measure(
  bench: Bench,
  name: string,
  sender: Requester,
  roomId: RoomId,
  members: number,
): Promise<Measure> {
  await bench.processor.drain()
  const sendMs = await sendMessages(bench, sender, roomId, SENDS)
  const started = performance.now()
  await bench.processor.drain()
  const processMs = performance.now() - started
  // As the server runs it: following the stream with its default pause.
  const following = new PushProcessor({ storage: bench.storage, serverName, now: Date.now })
  following.start()
  const sendWhileProcessingMs = await sendMessages(bench, sender, roomId, SENDS)
  // Its own schedule may hold the position meanwhile: drain waits for it and finishes the rest.
  await following.drain()
  await following.close()
  return { name, members, sendMs, processMs, sendWhileProcessingMs }
}

/** The large room's extra members, written straight into the membership table. */
function addMembers(
  path: string,
  roomId: RoomId,
  eventId: string,
  count: number,
  position: number,
): void {
  const db = new Database(path)
  try {
    db.pragma('busy_timeout = 10000')
    const insert = db.prepare(
      `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_position)
       VALUES (?, ?, 'join', ?, ?)`,
    )
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(roomId, `@member${i}:${SERVER}`, eventId, position)
    })()
  } finally {
    db.close()
  }
}

function line(m: Measure): void {
  const perEvent = m.processMs / SENDS
  console.log(
    `${m.name}: push processing ${formatMs(perEvent)}/event (${(
      (perEvent * 1000) /
      Math.max(1, m.members - 1)
    ).toFixed(2)} µs per member); sends ${formatRate((SENDS * 1000) / m.sendMs)} with the ` +
      `processor idle, ${formatRate((SENDS * 1000) / m.sendWhileProcessingMs)} with it following`,
  )
}

async function newBench(dir: string, name: string): Promise<Bench> {
  const path = join(dir, `${name}.db`)
  const storage = await openStorage(`sqlite:${path}`)
  const rooms = createRoomService({
    storage,
    serverName,
    signingKey,
    crypto: nodeCryptoProvider,
    now: Date.now,
  })
  // Driven by hand (drain) until `measure` starts it; the long pause keeps it from running early.
  const processor = new PushProcessor({ storage, serverName, now: Date.now, coalesceMs: 60_000 })
  return { storage, rooms, processor, path }
}

async function main(): Promise<void> {
  console.log(
    `\n# Push processing: in process, SQLite (synchronous=FULL), ${SENDS} sends per room; ` +
      `a member is one (event, member) evaluation`,
  )
  const dir = mkdtempSync(join(tmpdir(), 'rhizome-push-bench-'))
  try {
    const bench = await newBench(dir, 'push')
    const owner = await user(bench, 'owner')
    const smallMembers: Requester[] = []
    for (let i = 1; i < SMALL_ROOM; i++) smallMembers.push(await user(bench, `small${i}`))

    const small = await room(bench, owner, smallMembers)
    await history(bench, owner, small, SHORT_HISTORY)
    line(
      await measure(
        bench,
        `${SMALL_ROOM} members, ${SHORT_HISTORY} events of history`,
        owner,
        small,
        SMALL_ROOM,
      ),
    )

    const long = await room(bench, owner, smallMembers)
    const setupStart = performance.now()
    await history(bench, owner, long, HISTORY)
    const setupS = (performance.now() - setupStart) / 1000
    const longName = `${SMALL_ROOM} members, ${HISTORY.toLocaleString('en-US')} events of history`
    line(await measure(bench, longName, owner, long, SMALL_ROOM))

    // The same room grows to MEMBERS: rows in the membership table, then one real join, which
    // changes the room's state (and so makes the processor read its members again).
    const position = await bench.storage.streams.currentPosition()
    const memberEvent = (await bench.storage.rooms.getMembership(long, owner.userId))?.eventId
    if (memberEvent === undefined) throw new Error('no member event')
    addMembers(bench.path, long, memberEvent, MEMBERS - SMALL_ROOM - 1, position)
    must(await bench.rooms.join(await user(bench, 'last'), { kind: 'id', roomId: long }, {}))
    const joined = (await bench.storage.rooms.joinedMembers(long)).length
    line(
      await measure(
        bench,
        `${joined.toLocaleString('en-US')} members, ${HISTORY.toLocaleString('en-US')} events of history`,
        owner,
        long,
        joined,
      ),
    )
    console.log(
      `(setup: ${HISTORY.toLocaleString('en-US')} events of history in ${setupS.toFixed(0)} s)`,
    )
    await bench.storage.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
