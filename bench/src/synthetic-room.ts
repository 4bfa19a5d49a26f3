/**
 * A large public room written straight into a server's database before the server starts: the
 * events are planned, built, signed and authorized by the same event pipeline the server uses
 * (EventPipeline.createRoom, one transaction per event, each on the state the ones before it
 * made), with the server's own signing key, so the started server holds an ordinary room and
 * serves make_join and send_join for it like for every other. Members are users of that server;
 * they have no accounts, which nothing in the room's events needs.
 */
import {
  DEFAULT_ROOM_VERSION,
  parseServerName,
  parseUserId,
  roomVersionRules,
  type RoomId,
} from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { loadOrCreateSigningKey } from '../../packages/server/src/keys/signing-key-file.js'
import {
  EventPipeline,
  type EventTemplate,
} from '../../packages/server/src/rooms/event-pipeline.js'
import { planRoom } from '../../packages/server/src/rooms/create-room-plan.js'
import { openStorage } from '../../packages/server/src/storage/open-storage.js'

export interface SyntheticRoom {
  readonly roomId: RoomId
  /** Events written: the preset's and one join per member. */
  readonly events: number
}

function must<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result.value
}

/**
 * Writes a public room with `members` joined users (besides its creator) of `serverName` into
 * the database at `databaseUrl`, signed with the key at `signingKeyPath` (created if missing).
 */
export async function buildSyntheticRoom(options: {
  readonly databaseUrl: string
  readonly signingKeyPath: string
  readonly serverName: string
  readonly members: number
}): Promise<SyntheticRoom> {
  const crypto = nodeCryptoProvider
  const keys = must(await loadOrCreateSigningKey(options.signingKeyPath, crypto))
  const rules = roomVersionRules(DEFAULT_ROOM_VERSION)
  if (rules === undefined) throw new Error('no default room version')
  const creator = must(parseUserId(`@creator:${options.serverName}`))
  const plan = planRoom(
    {
      visibility: 'private',
      preset: 'public_chat',
      name: `Synthetic room of ${options.members} members`,
      invite: [],
      initialState: [],
      isDirect: false,
    },
    creator,
    rules,
  )
  const joins: EventTemplate[] = []
  for (let i = 0; i < options.members; i++) {
    const member = must(parseUserId(`@member${i}:${options.serverName}`))
    joins.push({
      type: 'm.room.member',
      stateKey: member,
      sender: member,
      content: { membership: 'join', displayname: `Member ${i}` },
    })
  }
  const storage = await openStorage(options.databaseUrl)
  try {
    const pipeline = new EventPipeline({
      storage,
      serverName: must(parseServerName(options.serverName)),
      signingKey: keys.active,
      crypto,
      now: Date.now,
    })
    const created = await pipeline.createRoom({
      rules,
      creator,
      createContent: plan.createContent,
      events: [...plan.events, ...joins],
      isPublic: false,
    })
    if (!created.ok) throw new Error(`the synthetic room: ${created.error.error}`)
    // A live server would have evaluated push rules for each join as it came; the whole backlog
    // at once (every join against every member) would keep the resident busy during the
    // measured join. The members have no accounts and nothing to be notified of.
    const reached = await storage.streams.currentPosition()
    await storage.push.processBatch(() =>
      Promise.resolve({ position: reached, actions: [], roomActions: [], reads: [] }),
    )
    return { roomId: created.value.roomId, events: created.value.events.length }
  } finally {
    await storage.close()
  }
}
