import type { JsonObject, UserId } from '@rhizome/core'

/**
 * The public halves of users' end-to-end encryption keys (client-server-api §End-to-End
 * Encryption): each device's identity keys, its one-time and fallback keys, each user's
 * cross-signing keys, and signatures uploaded apart from the keys they sign. Keys are stored as
 * the canonical JSON the client uploaded; checking them is the caller's job.
 *
 * A change that other users must hear about (a device's keys, cross-signing keys, signatures)
 * takes a position on the stream, is recorded as a device list change of its user and wakes the
 * users who share a room with them, all in the write's transaction.
 */
export interface E2eKeyStore {
  /** The device's identity keys, or undefined when it has uploaded none. */
  getDeviceKeys(userId: UserId, deviceId: string): Promise<JsonObject | undefined>
  /**
   * Stores one upload of a device's keys in one transaction: identity keys (replacing earlier
   * ones, which counts as a device list change only when they differ), one-time keys (added) and
   * fallback keys (replacing the earlier key of each algorithm, unused again). Fails with
   * 'key-conflict', writing nothing, when a one-time key ID is already stored with other content.
   * A device that does not exist (deleted meanwhile) stores nothing and fails with
   * 'unknown-device'.
   */
  uploadKeys(upload: KeyUpload): Promise<UploadOutcome>
  /** Unclaimed one-time keys of the device, per algorithm (algorithms with none left out). */
  oneTimeKeyCounts(userId: UserId, deviceId: string): Promise<Readonly<Record<string, number>>>
  /** The algorithms of the device's fallback keys that no claim has returned yet. */
  unusedFallbackKeyTypes(userId: UserId, deviceId: string): Promise<readonly string[]>
  /** What every /sync of the device reports or needs, in one read (see DeviceSyncState). */
  deviceSyncState(userId: UserId, deviceId: string): Promise<DeviceSyncState>
  /**
   * Claims one key per (user, device, algorithm): the oldest one-time key, deleted as it is
   * returned, or else the fallback key, then marked used. Devices with neither are left out.
   */
  claimKeys(claims: readonly KeyClaim[]): Promise<readonly ClaimedKey[]>
  /** The identity keys of the users' devices: every device of a user whose list is empty. */
  queryDeviceKeys(query: ReadonlyMap<UserId, readonly string[]>): Promise<readonly DeviceKeys[]>

  /** The users' cross-signing keys, as uploaded (signatures uploaded later are apart). */
  crossSigningKeys(userIds: readonly UserId[]): Promise<readonly CrossSigningKeyRecord[]>
  /** Replaces the given cross-signing keys of one user, in one transaction. */
  setCrossSigningKeys(userId: UserId, keys: readonly CrossSigningKeyRecord[]): Promise<void>
  /** Signatures uploaded for keys of these users (targets are device IDs or public keys). */
  signaturesFor(userIds: readonly UserId[]): Promise<readonly KeySignature[]>
  /** Adds signatures (a repeated one replaces the earlier), each target's user a change. */
  addSignatures(signatures: readonly KeySignature[]): Promise<void>
}

export interface DeviceSyncState {
  readonly oneTimeKeyCounts: Readonly<Record<string, number>>
  readonly unusedFallbackKeyTypes: readonly string[]
  /** The position of the device's oldest queued to-device message, if any is queued. */
  readonly oldestToDevice: number | undefined
}

export interface KeyUpload {
  readonly userId: UserId
  readonly deviceId: string
  /** Canonical JSON of the device keys object, when the upload has one. */
  readonly deviceKeys?: JsonObject
  readonly oneTimeKeys: readonly UploadedKey[]
  readonly fallbackKeys: readonly UploadedKey[]
}

export interface UploadedKey {
  readonly algorithm: string
  readonly keyId: string
  /** A string (curve25519) or a signed key object (signed_curve25519). */
  readonly key: string | JsonObject
}

export type UploadOutcome =
  | { readonly kind: 'stored'; readonly oneTimeKeyCounts: Readonly<Record<string, number>> }
  | { readonly kind: 'key-conflict'; readonly algorithm: string; readonly keyId: string }
  | { readonly kind: 'unknown-device' }

export interface KeyClaim {
  readonly userId: UserId
  readonly deviceId: string
  readonly algorithm: string
}

export interface ClaimedKey extends KeyClaim {
  readonly keyId: string
  readonly key: string | JsonObject
}

export interface DeviceKeys {
  readonly userId: UserId
  readonly deviceId: string
  readonly keys: JsonObject
  /** The device's display name, which /keys/query shows in `unsigned`. */
  readonly displayName: string | undefined
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing'

export interface CrossSigningKeyRecord {
  readonly userId: UserId
  readonly usage: CrossSigningUsage
  /** The unpadded base64 public key: the key's ID after `ed25519:`. */
  readonly publicKey: string
  readonly key: JsonObject
}

export interface KeySignature {
  readonly targetUserId: UserId
  /** A device ID, or the public key of a cross-signing key. */
  readonly targetKeyId: string
  readonly signerUserId: UserId
  /** `ed25519:<device ID or public key>` */
  readonly signerKeyId: string
  readonly signature: string
}

/**
 * Whose device lists changed (client-server-api §Tracking the device list for a user), for
 * /sync's `device_lists` and /keys/changes.
 */
export interface DeviceListStore {
  /**
   * Users whose device lists changed in (since, upTo] and who are `userId` or share a joined
   * room with them now.
   */
  changedInSharedRooms(userId: UserId, since: number, upTo: number): Promise<readonly UserId[]>
  /**
   * By membership changes in (since, upTo]: users who newly share a room with `userId` (they
   * joined one of its rooms, or it joined one of theirs), whose devices are news to it; and users
   * who shared a room with it and share none now.
   */
  sharingChanges(userId: UserId, since: number, upTo: number): Promise<SharingChanges>
  /**
   * Records that other servers' users changed their devices or cross-signing keys (their server
   * said so), under one stream position, and wakes the local users who share a room with them.
   */
  recordRemoteChange(userIds: readonly UserId[]): Promise<void>
  /**
   * Takes the next `count` stream IDs of the local user's outbound device list updates, in one
   * transaction: `previous` is the last one taken before (undefined for the first), and the IDs
   * go up from it by one.
   */
  nextOutboundStreamIds(userId: UserId, count: number): Promise<OutboundStreamIds>
  /** The last stream ID taken for the user's outbound updates (0 before the first). */
  outboundStreamId(userId: UserId): Promise<number>
}

export interface OutboundStreamIds {
  readonly previous: number | undefined
  readonly ids: readonly number[]
}

export interface SharingChanges {
  readonly newlySharing: readonly UserId[]
  readonly stoppedSharing: readonly UserId[]
}

/** Messages between devices (client-server-api §Send-to-Device messaging). */
export interface ToDeviceStore {
  /**
   * Queues the messages for their devices under one stream position, unless the sender's device
   * sent this transaction already (then nothing is written and the result is false). A message
   * to a device that does not exist is dropped.
   */
  send(batch: ToDeviceBatch): Promise<boolean>
  /**
   * Queues messages that another server's user sent (an m.direct_to_device EDU) under one stream
   * position, unless that sender's `messageId` was taken in already (then nothing is written and
   * the result is false). Messages to devices that do not exist are dropped.
   */
  receive(batch: RemoteToDeviceBatch): Promise<boolean>
  /** Forgets the message IDs taken in before `before` (ms); returns how many. */
  forgetInboundIds(before: number): Promise<number>
  /** Deletes the device's messages at or below `position`: the client has them. */
  acknowledge(userId: UserId, deviceId: string, position: number): Promise<void>
  /** The device's messages in (after, upTo], oldest first, at most `limit`. */
  pending(
    userId: UserId,
    deviceId: string,
    after: number | undefined,
    upTo: number,
    limit: number,
  ): Promise<readonly ToDeviceMessage[]>
}

export interface ToDeviceBatch {
  readonly sender: UserId
  readonly senderDeviceId: string
  readonly txnId: string
  readonly type: string
  readonly messages: readonly ToDeviceRecipient[]
}

export interface RemoteToDeviceBatch {
  readonly sender: UserId
  readonly messageId: string
  /** When it was taken in: its message ID is remembered from then (see `forgetInboundIds`). */
  readonly receivedTs: number
  readonly type: string
  readonly messages: readonly ToDeviceRecipient[]
}

export interface ToDeviceRecipient {
  readonly userId: UserId
  /** A device ID, or `*` for every device the user has when the message is stored. */
  readonly deviceId: string
  readonly content: JsonObject
}

export interface ToDeviceMessage {
  readonly streamPosition: number
  readonly sender: UserId
  readonly type: string
  readonly content: JsonObject
}

/** A device of another server's user, as its server last described it. */
export interface RemoteDevice {
  readonly deviceId: string
  /** The device's signed identity keys; undefined while it has none. */
  readonly keys: JsonObject | undefined
  readonly displayName: string | undefined
}

/** Another server's user's devices and cross-signing keys, as of its `streamId`. */
export interface RemoteDeviceList {
  readonly userId: UserId
  /** The `stream_id` of the last update folded in: the next update names it as its `prev_id`. */
  readonly streamId: number
  readonly devices: readonly RemoteDevice[]
  readonly masterKey: JsonObject | undefined
  readonly selfSigningKey: JsonObject | undefined
}

export interface KeptDeviceList extends RemoteDeviceList {
  /**
   * Whether it may be served without asking its server: no update was missed, and since it was
   * fetched the user has shared one room with a local user all along (were that broken, its
   * server would have stopped sending updates, and some may be lost).
   */
  readonly current: boolean
}

/** One `m.device_list_update` EDU (server-server-api §Device Management). */
export interface RemoteDeviceUpdate {
  readonly userId: UserId
  readonly deviceId: string
  readonly streamId: number
  readonly prevIds: readonly number[]
  readonly deleted: boolean
  readonly keys: JsonObject | undefined
  readonly displayName: string | undefined
}

/**
 * 'applied': folded in (or seen before); 'untracked': no list is kept for the user; 'missed': the
 * update follows one that never arrived, so the kept list is marked stale and must be fetched.
 */
export type RemoteUpdateOutcome = 'applied' | 'untracked' | 'missed'

/**
 * The device lists of other servers' users that this server keeps, so that its clients get their
 * keys at once, and while those servers are unreachable (server-server-api §Device Management).
 */
export interface RemoteDeviceListStore {
  /**
   * The kept lists of these users (those with none left out). `localSuffix` is `:` and this
   * server's name: users ending in it are local, for the unbroken-sharing test of `current`.
   */
  kept(
    userIds: readonly UserId[],
    localSuffix: string,
  ): Promise<ReadonlyMap<UserId, KeptDeviceList>>
  /**
   * Keeps a list fetched whole from its server, replacing the kept one, unless a newer one (a
   * higher `streamId`, not stale) is kept. `trackedAt` is a stream position read before the
   * fetch; `current` measures unbroken sharing from it.
   */
  keep(list: RemoteDeviceList, trackedAt: number, fetchedTs: number): Promise<void>
  /** Folds one device update into the user's kept list, in one transaction. */
  applyUpdate(update: RemoteDeviceUpdate): Promise<RemoteUpdateOutcome>
  /**
   * Replaces the cross-signing keys given (an `m.signing_key_update`) in the user's kept list;
   * false when none is kept.
   */
  updateSigningKeys(
    userId: UserId,
    masterKey: JsonObject | undefined,
    selfSigningKey: JsonObject | undefined,
  ): Promise<boolean>
  /** Which of these users are joined to a room with a local user now (`localSuffix` as above). */
  sharing(userIds: readonly UserId[], localSuffix: string): Promise<ReadonlySet<UserId>>
  /** Drops the users' kept lists: they share no room with this server's users any more. */
  forget(userIds: readonly UserId[]): Promise<void>
}
