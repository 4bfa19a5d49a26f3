import type { UserId } from '@rhizome/core'

/** A pusher as the client set it (client-server-api §Pushers), with the device it belongs to. */
export interface PusherRecord {
  readonly userId: UserId
  /** The device of the access token that set it: deleting the device deletes the pusher. */
  readonly deviceId: string
  readonly kind: string
  readonly appId: string
  readonly pushkey: string
  readonly appDisplayName: string
  readonly deviceDisplayName: string
  readonly profileTag: string | undefined
  readonly lang: string
  /** The client's `data` object, `url` included. */
  readonly data: Readonly<Record<string, unknown>>
  /** When the pushkey was last set, in ms: the push gateway's `pushkey_ts`. */
  readonly pushkeyTs: number
}

export interface PusherStore {
  /** The user's pushers, ordered by app ID and pushkey. */
  list(userId: UserId): Promise<readonly PusherRecord[]>
  /**
   * Creates or replaces the user's pusher with this app ID and pushkey. Unless `append`, the
   * pushers of other users with the same app ID and pushkey are deleted in the same step.
   */
  set(pusher: PusherRecord, append: boolean): Promise<void>
  /** Deletes one pusher; returns whether there was one. */
  delete(userId: UserId, appId: string, pushkey: string): Promise<boolean>
  /** The users with at least one pusher of this kind. */
  usersWithPushers(kind: string): Promise<readonly UserId[]>
}
