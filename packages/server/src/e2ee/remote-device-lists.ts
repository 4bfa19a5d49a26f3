/**
 * Other servers' users' device lists, kept here while they share a room with this server's users
 * (server-server-api §Device Management), so that `/keys/query` answers from them at once, and
 * still answers while their server is down: a client can keep encrypting for its devices.
 *
 * - A list is fetched whole (`/user/devices`) the first time a client asks for a user it does not
 *   have, and kept if the user shares a room with a local user.
 * - Each `m.device_list_update` whose `prev_id` names the kept list's stream ID is folded in.
 *   One that follows an update that never arrived marks the list stale and fetches it again, in
 *   the background (one fetch per user at a time, and one more if asked during it).
 * - A list is served as it is only while it is current (RemoteDeviceListStore.kept): were
 *   sharing broken since its fetch, updates may have been lost, so it is fetched again.
 * - When the fetch fails, a kept list is still served, with the server's failure beside it.
 */
import {
  err,
  userIdServerName,
  type JsonObject,
  type Result,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { FederationFailure } from '../federation/transport/federation-client.js'
import type { RemoteDeviceKeys, RemoteQueries } from '../federation/queries/remote-queries.js'
import type { Logger } from '../logging/logger.js'
import type { RemoteDeviceList, RemoteDeviceUpdate } from '../storage/e2e-key-store.js'
import type { Storage } from '../storage/interface.js'

export interface RemoteDeviceListsDeps {
  readonly storage: Pick<Storage, 'remoteDeviceLists' | 'streams'>
  readonly serverName: ServerName
  readonly remote: Pick<RemoteQueries, 'userDevices' | 'queryKeys'>
  readonly now: () => number
  readonly logger: Pick<Logger, 'debug' | 'warn'>
}

/** What one server's users' keys came to: what could be given, and why not all of it. */
export interface ServerKeys {
  readonly keys: RemoteDeviceKeys
  readonly failure: FederationFailure | undefined
}

/** A fetch in flight; `again` when an update asked for one more after it. */
interface Fetching {
  again: boolean
  result: Promise<Result<RemoteDeviceList, FederationFailure>>
}

const NOT_STARTED: FederationFailure = { kind: 'refused', message: 'not started' }

/** How long a fetch started by an update may take. */
const BACKGROUND_FETCH_TIMEOUT_MS = 30_000

export class RemoteDeviceLists {
  readonly #deps: RemoteDeviceListsDeps
  readonly #localSuffix: string
  readonly #fetching = new Map<UserId, Fetching>()

  constructor(deps: RemoteDeviceListsDeps) {
    this.#deps = deps
    this.#localSuffix = `:${deps.serverName}`
  }

  /**
   * The keys of one server's users (`query`: user to the devices wanted, all for an empty
   * list): kept lists that are current as they are, and the rest fetched from the server.
   */
  async queryKeys(
    server: ServerName,
    query: ReadonlyMap<UserId, readonly string[]>,
    timeoutMs: number,
  ): Promise<ServerKeys> {
    const users = [...query.keys()]
    const lists = this.#deps.storage.remoteDeviceLists
    const kept = await lists.kept(users, this.#localSuffix)
    const sharing = await lists.sharing(users, this.#localSuffix)
    const keys: RemoteDeviceKeys = { device_keys: {}, master_keys: {}, self_signing_keys: {} }
    let failure: FederationFailure | undefined
    const toFetch: UserId[] = []
    const toQuery = new Map<UserId, readonly string[]>()
    for (const [userId, devices] of query) {
      const list = kept.get(userId)
      if (list?.current === true) addList(keys, list, devices)
      else if (sharing.has(userId)) toFetch.push(userId)
      else toQuery.set(userId, devices)
    }
    // Users who share no room with ours send no updates: their lists would go stale unseen.
    const unshared = [...kept.keys()].filter((userId) => !sharing.has(userId))
    if (unshared.length > 0) await lists.forget(unshared)
    await Promise.all([
      ...toFetch.map(async (userId) => {
        const fetched = await this.#fetch(userId, timeoutMs)
        const wanted = query.get(userId) ?? []
        if (fetched.ok) {
          addList(keys, fetched.value, wanted)
          return
        }
        failure = fetched.error
        // Better the last known devices than none: clients keep encrypting for them.
        const list = kept.get(userId)
        if (list !== undefined) addList(keys, list, wanted)
      }),
      (async () => {
        if (toQuery.size === 0) return
        const answer = await this.#deps.remote.queryKeys(server, toQuery, timeoutMs)
        if (!answer.ok) {
          failure = answer.error
          return
        }
        Object.assign(keys.device_keys, answer.value.device_keys)
        Object.assign(keys.master_keys, answer.value.master_keys)
        Object.assign(keys.self_signing_keys, answer.value.self_signing_keys)
      })(),
    ])
    return { keys, failure }
  }

  /**
   * Takes an `m.device_list_update` from the user's server: folded into the kept list, or, when
   * one before it was missed, a fetch of the whole list in the background.
   */
  async deviceUpdated(update: RemoteDeviceUpdate): Promise<void> {
    const outcome = await this.#deps.storage.remoteDeviceLists.applyUpdate(update)
    if (outcome !== 'missed') return
    this.#deps.logger.debug(
      { user_id: update.userId, stream_id: update.streamId, prev_id: update.prevIds },
      'a device list update was missed; fetching the list again',
    )
    this.refetch(update.userId)
  }

  /** Takes an `m.signing_key_update` from the user's server into the kept list, if any. */
  async signingKeysUpdated(
    userId: UserId,
    masterKey: JsonObject | undefined,
    selfSigningKey: JsonObject | undefined,
  ): Promise<void> {
    await this.#deps.storage.remoteDeviceLists.updateSigningKeys(userId, masterKey, selfSigningKey)
  }

  /** Fetches the user's list again in the background. */
  refetch(userId: UserId): void {
    const running = this.#fetching.get(userId)
    if (running !== undefined) {
      // The fetch in flight may have been answered before this update: go once more after it.
      running.again = true
      return
    }
    this.#fetch(userId, BACKGROUND_FETCH_TIMEOUT_MS).catch((error: unknown) => {
      this.#deps.logger.warn({ err: error, user_id: userId }, 'could not fetch a device list')
    })
  }

  /** Resolves when no fetch is in flight (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#fetching.size > 0) {
      await Promise.allSettled([...this.#fetching.values()].map((f) => f.result))
    }
  }

  /**
   * Fetches the user's whole list and keeps it if the user shares a room with ours. A fetch
   * already in flight for the user is joined rather than doubled.
   */
  #fetch(userId: UserId, timeoutMs: number): Promise<Result<RemoteDeviceList, FederationFailure>> {
    const running = this.#fetching.get(userId)
    if (running !== undefined) return running.result
    const entry: Fetching = { again: false, result: Promise.resolve(err(NOT_STARTED)) }
    // Read through a function: `refetch` sets it while the fetch is awaited.
    const askedAgain = (): boolean => entry.again
    entry.result = (async () => {
      try {
        for (;;) {
          entry.again = false
          const result = await this.#fetchOnce(userId, timeoutMs)
          if (!result.ok || !askedAgain()) return result
        }
      } finally {
        this.#fetching.delete(userId)
      }
    })()
    this.#fetching.set(userId, entry)
    return entry.result
  }

  async #fetchOnce(
    userId: UserId,
    timeoutMs: number,
  ): Promise<Result<RemoteDeviceList, FederationFailure>> {
    const { storage, remote } = this.#deps
    // Read before the fetch: sharing unbroken from here means no update after it was lost.
    const trackedAt = await storage.streams.currentPosition()
    const fetched = await remote.userDevices(userId, timeoutMs)
    if (!fetched.ok) {
      this.#deps.logger.debug(
        { user_id: userId, server: userIdServerName(userId), reason: fetched.error.message },
        'could not fetch a device list',
      )
      return fetched
    }
    try {
      const sharing = await storage.remoteDeviceLists.sharing([userId], this.#localSuffix)
      if (sharing.has(userId)) {
        await storage.remoteDeviceLists.keep(fetched.value, trackedAt, this.#deps.now())
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error, user_id: userId }, 'could not keep a device list')
    }
    return fetched
  }
}

/** Adds a list's keys to an answer: the devices wanted (all for an empty list). */
function addList(keys: RemoteDeviceKeys, list: RemoteDeviceList, wanted: readonly string[]): void {
  const devices: Record<string, JsonObject> = {}
  for (const device of list.devices) {
    if (device.keys === undefined) continue
    if (wanted.length > 0 && !wanted.includes(device.deviceId)) continue
    devices[device.deviceId] =
      device.displayName === undefined
        ? device.keys
        : { ...device.keys, unsigned: { device_display_name: device.displayName } }
  }
  keys.device_keys[list.userId] = devices
  if (list.masterKey !== undefined) keys.master_keys[list.userId] = list.masterKey
  if (list.selfSigningKey !== undefined) keys.self_signing_keys[list.userId] = list.selfSigningKey
}
