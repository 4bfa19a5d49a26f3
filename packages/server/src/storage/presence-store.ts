import type { ServerName, UserId } from '@rhizome/core'

export const PRESENCE_STATES = ['online', 'unavailable', 'offline'] as const
export type PresenceState = (typeof PRESENCE_STATES)[number]

export interface PresenceRecord {
  readonly userId: UserId
  readonly state: PresenceState
  readonly statusMsg: string | undefined
  /** When the user last did something (sent, typed, set their presence); ms since the epoch. */
  readonly lastActiveTs: number
  /**
   * When a `/sync` of theirs that counts for presence last ran; for a user of another server,
   * when their server last told this one their presence.
   */
  readonly lastSyncTs: number
  /** The position of the last change users were told about. */
  readonly streamPosition: number
}

export interface PresenceUpdate {
  readonly state: PresenceState
  /** A string sets the message, `null` clears it, absent keeps it. */
  readonly statusMsg?: string | null
  /** Absent keeps it (a new record starts at `now`). */
  readonly lastActiveTs?: number
  /** Absent keeps it (a new record starts at `now`). */
  readonly lastSyncTs?: number
}

/**
 * Users of other servers are timed out by their own server, which sends the change; this one
 * only takes them offline when their server has said nothing for long (it may be down).
 */
export interface RemotePresenceTimeout {
  /** This server: its users are the local ones, timed out by idleness and silence. */
  readonly serverName: ServerName
  /** A user of another server whose presence was last received before this goes offline. */
  readonly updatedBefore: number
}

/** One user's time for `touchSyncing` (they were syncing) or `touchActive` (they were active). */
export type PresenceTouch = readonly [userId: UserId, ts: number]

/**
 * Presence (client-server-api §Presence): one row per user who ever had any. Like typing
 * (typing-store.ts), it lives in the database so that every worker process agrees, and each
 * change users see takes a position on the global stream and wakes the user's own waiters and
 * those of every room they are joined to: the people who share a room with them.
 *
 * Which syncs are running is kept apart from what users see: `touchSyncing` records it without a
 * stream position (nobody is told), and `applyTimeouts` turns the silence into visible changes.
 */
export interface PresenceStore {
  get(userId: UserId): Promise<PresenceRecord | undefined>
  /** A change users see: stored at a new stream position, and waiters told. */
  set(userId: UserId, update: PresenceUpdate, now: number): Promise<PresenceRecord>
  /** Records that these users were syncing (a time only ever moves forward). Nobody is told. */
  touchSyncing(entries: readonly PresenceTouch[]): Promise<void>
  /**
   * Records activity of users who are online and shown as currently active, whom clients need
   * not be told about it (client-server-api §Last active ago). Other users are left alone.
   */
  touchActive(entries: readonly PresenceTouch[]): Promise<void>
  /**
   * The timeouts: a user who has not synced since before `syncedBefore` goes offline; an online
   * user not active since before `idleBefore` goes unavailable. All at one stream position, and
   * safe to run in several processes at once. Returns the users changed. With `remote`, users of
   * other servers follow its rule instead; without it, every user is taken for a local one.
   */
  applyTimeouts(
    idleBefore: number,
    syncedBefore: number,
    remote?: RemotePresenceTimeout,
  ): Promise<readonly UserId[]>
  /**
   * What `/sync` shows `viewer`: the presence of the viewer and of every user joined to a room the
   * viewer is joined to, changed in (since, upTo], oldest first. Without `since` (an initial
   * sync), their current presence up to `upTo`, leaving out users who are offline.
   */
  changesFor(
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly PresenceRecord[]>
  /** Whether the two users are both joined to some room (who may see whose presence). */
  shareARoom(a: UserId, b: UserId): Promise<boolean>
}
