/**
 * The server side of end-to-end encryption (client-server-api §End-to-End Encryption,
 * §Send-to-Device messaging): keeping and handing out devices' public keys, cross-signing keys
 * and signatures, and queuing messages between devices. The encryption itself happens in the
 * clients; this server never sees a private key or a plaintext.
 *
 * Keys of other servers' users are asked of their servers over federation (when `remote` is
 * given), each server once per request and all at once; a server that does not answer in time is
 * reported in `failures`. With `federation` given, changes to this server's users' devices and
 * cross-signing keys are announced to the servers sharing their rooms, and to-device messages for
 * other servers' users go to their servers (e2ee-federation.ts).
 */
import {
  canonicalJson,
  err,
  isJsonObject,
  ok,
  userIdServerName,
  type CryptoProvider,
  type JsonObject,
  type JsonValue,
  type Result,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { AuthDict } from '../accounts/uia/auth-dict.js'
import type { UserInteractiveAuth } from '../accounts/uia/user-interactive-auth.js'
import type { Requester } from '../http/authenticate.js'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import type { FederationFailure } from '../federation/transport/federation-client.js'
import {
  DEFAULT_QUERY_TIMEOUT_MS,
  keyFailureOf,
  type RemoteQueries,
} from '../federation/queries/remote-queries.js'
import type { Logger } from '../logging/logger.js'
import type {
  CrossSigningKeyRecord,
  CrossSigningUsage,
  KeySignature,
} from '../storage/e2e-key-store.js'
import type { Storage } from '../storage/interface.js'
import { deviceListChanges, type DeviceLists } from '../sync/e2ee-sync.js'
import { CROSS_SIGNING_FIELDS, parseCrossSigningKey, signedBy } from './cross-signing-key.js'
import { keyQueryAnswer, type KeyQueryAnswer } from './key-query.js'
import type { KeyClaimEntry, KeyUploadRequest } from './key-requests.js'
import type { E2eeFederation } from './e2ee-federation.js'
import type { RemoteDeviceLists, ServerKeys } from './remote-device-lists.js'
import type { DeviceChange } from './outbound-e2ee-edus.js'
import { toDeviceMessageId } from './outbound-e2ee-edus.js'
import { checkUploadedSignatures } from './signature-upload.js'

export interface E2eeServiceDeps {
  readonly storage: Pick<Storage, 'e2eKeys' | 'deviceLists' | 'toDevice' | 'accounts'>
  readonly serverName: ServerName
  readonly crypto: CryptoProvider
  readonly uia: Pick<UserInteractiveAuth, 'run' | 'finish'>
  readonly logger?: Logger
  /** Other servers' users' keys; undefined when federation is off. */
  readonly remote?: Pick<RemoteQueries, 'queryKeys' | 'claimKeys'>
  /**
   * Other servers' users' device lists, kept and fetched; when given, `/keys/query` asks it
   * rather than `remote`.
   */
  readonly deviceLists?: Pick<RemoteDeviceLists, 'queryKeys'>
  /** Updates and to-device messages for other servers; undefined when federation is off. */
  readonly federation?: Pick<
    E2eeFederation,
    'devicesChanged' | 'signingKeysChanged' | 'sendToDevice'
  >
}

/** A `failures` entry for a server this one cannot reach. */
interface Failure {
  readonly status: number
  readonly message: string
}

/**
 * One server's answer: what it gave (possibly kept from before, when it could not be reached),
 * and its failure, if any.
 */
interface Answer<T> {
  readonly found: T | undefined
  readonly failure: FederationFailure | undefined
}

function answerOf<T>(
  asked: Promise<Result<T, FederationFailure>> | undefined,
): Promise<Answer<T>> | undefined {
  return asked?.then((outcome) =>
    outcome.ok
      ? { found: outcome.value, failure: undefined }
      : { found: undefined, failure: outcome.error },
  )
}

function keptAnswer(answer: ServerKeys): Answer<ServerKeys['keys']> {
  return { found: answer.keys, failure: answer.failure }
}

/** The failure of every other server when federation is switched off. */
const NO_FEDERATION: Failure = {
  status: 503,
  message: 'This server does not reach other servers',
}

export interface KeyClaimAnswer {
  readonly one_time_keys: Record<UserId, Record<string, Record<string, JsonValue>>>
  readonly failures: Record<string, Failure>
}

export interface CrossSigningUpload {
  readonly keys: Partial<Record<CrossSigningUsage, JsonObject>>
  readonly auth: AuthDict | undefined
}

export interface SignatureUploadAnswer {
  readonly failures: Record<UserId, Record<string, { errcode: string; error: string }>>
}

export class E2eeService {
  readonly #deps: E2eeServiceDeps

  constructor(deps: E2eeServiceDeps) {
    this.#deps = deps
  }

  async uploadKeys(
    requester: Requester,
    request: KeyUploadRequest,
  ): Promise<Result<{ one_time_key_counts: Readonly<Record<string, number>> }, ServerError>> {
    const deviceId = requester.deviceId
    if (deviceId === undefined) return err(noDevice())
    const { deviceKeys } = request
    if (
      deviceKeys !== undefined &&
      (deviceKeys['user_id'] !== requester.userId || deviceKeys['device_id'] !== deviceId)
    ) {
      return err(
        serverError('M_INVALID_PARAM', 'device_keys must be for the device of this access token'),
      )
    }
    const before =
      deviceKeys === undefined || this.#deps.federation === undefined
        ? undefined
        : await this.#deps.storage.e2eKeys.getDeviceKeys(requester.userId, deviceId)
    const outcome = await this.#deps.storage.e2eKeys.uploadKeys({
      userId: requester.userId,
      deviceId,
      ...(deviceKeys === undefined ? {} : { deviceKeys }),
      oneTimeKeys: request.oneTimeKeys,
      fallbackKeys: request.fallbackKeys,
    })
    switch (outcome.kind) {
      case 'stored':
        if (
          deviceKeys !== undefined &&
          (before === undefined || canonicalJson(before) !== canonicalJson(deviceKeys))
        ) {
          await this.#announceDevices(requester.userId, [deviceId])
        }
        return ok({ one_time_key_counts: outcome.oneTimeKeyCounts })
      case 'key-conflict':
        return err(
          serverError(
            'M_INVALID_PARAM',
            `One-time key ${outcome.algorithm}:${outcome.keyId} already exists with other content`,
          ),
        )
      case 'unknown-device':
        return err(serverError('M_NOT_FOUND', 'The device of this access token is gone'))
    }
  }

  async queryKeys(
    requester: Requester,
    query: ReadonlyMap<UserId, readonly string[]>,
    timeoutMs: number = DEFAULT_QUERY_TIMEOUT_MS,
  ): Promise<KeyQueryAnswer & { readonly failures: Record<string, Failure> }> {
    const { local, failures } = this.#split([...query.keys()])
    const deviceLists = this.#deps.deviceLists
    const [answer, remote] = await Promise.all([
      this.localKeys(requester.userId, new Map([...query].filter(([u]) => local.includes(u)))),
      this.#askServers(failures, query, (server, users) =>
        deviceLists === undefined
          ? answerOf(this.#deps.remote?.queryKeys(server, users, timeoutMs))
          : deviceLists.queryKeys(server, users, timeoutMs).then(keptAnswer),
      ),
    ])
    for (const found of remote) {
      Object.assign(answer.device_keys, found.device_keys)
      Object.assign(answer.master_keys, found.master_keys)
      Object.assign(answer.self_signing_keys, found.self_signing_keys)
    }
    return { ...answer, failures }
  }

  /**
   * Keys of this server's users: for a client of ours (`viewer`), or, with no viewer, for
   * another server, which sees no user-signing keys and only signatures made by each key's owner.
   */
  async localKeys(
    viewer: UserId | undefined,
    query: ReadonlyMap<UserId, readonly string[]>,
  ): Promise<KeyQueryAnswer> {
    const local = [...query.keys()].filter((u) => userIdServerName(u) === this.#deps.serverName)
    const localQuery = new Map([...query].filter(([user]) => local.includes(user)))
    const keys = this.#deps.storage.e2eKeys
    // The viewer's own user-signing key decides which signatures on masters they may see.
    const crossUsers = [...new Set(viewer === undefined ? local : [...local, viewer])]
    const [devices, crossSigning, signatures] =
      local.length === 0
        ? [[], [], []]
        : await Promise.all([
            keys.queryDeviceKeys(localQuery),
            keys.crossSigningKeys(crossUsers),
            keys.signaturesFor(local),
          ])
    const queried = crossSigning.filter((k) => local.includes(k.userId))
    return keyQueryAnswer(viewer, local, devices, queried, signatures)
  }

  async claimKeys(
    claims: readonly KeyClaimEntry[],
    timeoutMs: number = DEFAULT_QUERY_TIMEOUT_MS,
  ): Promise<KeyClaimAnswer> {
    const { local, failures } = this.#split(claims.map((c) => c.userId))
    const byUser = new Map<UserId, KeyClaimEntry[]>()
    for (const claim of claims)
      byUser.set(claim.userId, [...(byUser.get(claim.userId) ?? []), claim])
    const [answer, remote] = await Promise.all([
      this.claimLocalKeys(claims.filter((c) => local.includes(c.userId))),
      this.#askServers(failures, byUser, (server, users) =>
        answerOf(this.#deps.remote?.claimKeys(server, [...users.values()].flat(), timeoutMs)),
      ),
    ])
    for (const found of remote) Object.assign(answer, found)
    return { one_time_keys: answer, failures }
  }

  /** Claims keys of this server's users; claims for other servers' users are left out. */
  async claimLocalKeys(claims: readonly KeyClaimEntry[]): Promise<KeyClaimAnswer['one_time_keys']> {
    const localClaims = claims.filter((c) => userIdServerName(c.userId) === this.#deps.serverName)
    const claimed =
      localClaims.length === 0 ? [] : await this.#deps.storage.e2eKeys.claimKeys(localClaims)
    const answer: KeyClaimAnswer['one_time_keys'] = {}
    for (const key of claimed) {
      const forUser = answer[key.userId] ?? {}
      forUser[key.deviceId] = { [`${key.algorithm}:${key.keyId}`]: key.key }
      answer[key.userId] = forUser
    }
    return answer
  }

  /**
   * Asks each server in `failures` (the other servers `#split` found) about its users, all at
   * once; a server that answers is taken out of `failures`, one that fails stays with its reason.
   */
  async #askServers<T, V>(
    failures: Record<string, Failure>,
    byUser: ReadonlyMap<UserId, V>,
    ask: (server: ServerName, users: ReadonlyMap<UserId, V>) => Promise<Answer<T>> | undefined,
  ): Promise<T[]> {
    const found: T[] = []
    await Promise.all(
      Object.keys(failures).map(async (name) => {
        const server = name as ServerName
        const users = new Map([...byUser].filter(([u]) => userIdServerName(u) === server))
        const asked = ask(server, users)
        if (asked === undefined) return
        const outcome = await asked
        if (outcome.found !== undefined) found.push(outcome.found)
        if (outcome.failure === undefined) Reflect.deleteProperty(failures, name)
        else failures[name] = keyFailureOf(outcome.failure)
      }),
    )
    return found
  }

  async keyChanges(requester: Requester, from: number, to: number): Promise<DeviceLists> {
    return deviceListChanges(this.#deps.storage, requester.userId, from, Math.max(from, to))
  }

  async uploadCrossSigningKeys(
    requester: Requester,
    upload: CrossSigningUpload,
  ): Promise<Result<object, ServerError>> {
    const userId = requester.userId
    const parsed: CrossSigningKeyRecord[] = []
    for (const usage of Object.keys(CROSS_SIGNING_FIELDS) as CrossSigningUsage[]) {
      const value = upload.keys[usage]
      if (value === undefined) continue
      const key = parseCrossSigningKey(value, usage, userId)
      if (!key.ok) return key
      parsed.push(key.value)
    }
    const keys = this.#deps.storage.e2eKeys
    const existing = await keys.crossSigningKeys([userId])
    const master =
      parsed.find((k) => k.usage === 'master') ?? existing.find((k) => k.usage === 'master')
    for (const key of parsed) {
      if (key.usage === 'master') continue
      if (master === undefined) {
        return err(serverError('M_MISSING_PARAM', 'No master key is available'))
      }
      if (
        !signedBy(
          key.key,
          userId,
          master.publicKey,
          `ed25519:${master.publicKey}`,
          this.#deps.crypto,
        )
      ) {
        return err(
          serverError(
            'M_INVALID_SIGNATURE',
            `The ${CROSS_SIGNING_FIELDS[key.usage]} is not signed by the master key`,
          ),
        )
      }
    }
    // Device IDs and cross-signing public keys share one namespace (§Cross-signing).
    const devices = await this.#deps.storage.accounts.listDevices(userId)
    const clash = parsed.find((k) => devices.some((d) => d.deviceId === k.publicKey))
    if (clash !== undefined) {
      return err(forbidden('The public key of a cross-signing key is one of your device IDs'))
    }
    // Authentication is needed to replace keys, not to upload the first ones or repeat them.
    const existingMaster = existing.find((k) => k.usage === 'master')
    const repeats = parsed.every((k) =>
      existing.some((e) => e.usage === k.usage && canonicalJson(e.key) === canonicalJson(k.key)),
    )
    let session: string | undefined
    if (existingMaster !== undefined && !repeats) {
      const passed = await this.#deps.uia.run(
        {
          kind: 'device_signing_upload',
          userId,
          params: parsed.map((k) => k.key),
          flows: [['m.login.password']],
        },
        upload.auth,
      )
      if (!passed.ok) return passed
      session = passed.value.sessionId
    }
    if (parsed.length > 0 && !repeats) {
      await keys.setCrossSigningKeys(userId, parsed)
      // A user-signing key is for its owner alone (§Cross-signing): other servers never see it.
      if (parsed.some((k) => k.usage !== 'user_signing')) await this.#announceSigningKeys(userId)
    }
    if (session !== undefined) await this.#deps.uia.finish(session)
    return ok({})
  }

  async uploadSignatures(
    requester: Requester,
    uploads: ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>,
  ): Promise<SignatureUploadAnswer> {
    const signer = requester.userId
    const { local, failures: unreachable } = this.#split([...uploads.keys()])
    const keys = this.#deps.storage.e2eKeys
    const [crossSigning, ownDevices] = await Promise.all([
      keys.crossSigningKeys([...new Set([signer, ...local])]),
      keys.queryDeviceKeys(new Map([[signer, []]])),
    ])
    const localUploads = new Map([...uploads].filter(([user]) => local.includes(user)))
    const checked = checkUploadedSignatures(localUploads, {
      signer,
      crypto: this.#deps.crypto,
      crossSigning,
      ownDevices: new Map(ownDevices.map((d) => [d.deviceId, d.keys])),
    })
    await keys.addSignatures(checked.accepted)
    await this.#announceSignatures(checked.accepted, crossSigning)
    const failures: SignatureUploadAnswer['failures'] = {}
    for (const [user, byKey] of Object.entries(checked.failures)) {
      failures[user as UserId] = Object.fromEntries(
        Object.entries(byKey).map(([keyId, e]) => [keyId, { errcode: e.errcode, error: e.error }]),
      )
    }
    for (const user of uploads.keys()) {
      if (local.includes(user)) continue
      const byKey = uploads.get(user) ?? new Map<string, JsonObject>()
      failures[user] = Object.fromEntries(
        [...byKey.keys()].map((keyId) => [
          keyId,
          { errcode: 'M_UNKNOWN', error: unreachable[userIdServerName(user)]?.message ?? '' },
        ]),
      )
    }
    return { failures }
  }

  async sendToDevice(
    requester: Requester,
    type: string,
    txnId: string,
    messages: ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>,
  ): Promise<Result<object, ServerError>> {
    const deviceId = requester.deviceId
    if (deviceId === undefined) return err(noDevice())
    const { local } = this.#split([...messages.keys()])
    const remote = [...messages.keys()].filter((u) => !local.includes(u))
    if (remote.length > 0) {
      if (this.#deps.federation === undefined) {
        this.#deps.logger?.warn(
          { users: remote.length, type },
          'to-device messages for users of other servers were not sent: federation is off',
        )
      } else {
        // Queued before the local messages: a retry after a failure here queues them again
        // under the same message ID, which the receiving servers deliver once.
        await this.#deps.federation.sendToDevice(
          requester.userId,
          type,
          toDeviceMessageId(requester.userId, deviceId, txnId),
          new Map([...messages].filter(([user]) => remote.includes(user))),
        )
      }
    }
    const recipients = local.flatMap((userId) =>
      [...(messages.get(userId) ?? new Map<string, JsonObject>())].map(([device, content]) => ({
        userId,
        deviceId: device,
        content,
      })),
    )
    await this.#deps.storage.toDevice.send({
      sender: requester.userId,
      senderDeviceId: deviceId,
      txnId,
      type,
      messages: recipients,
    })
    return ok({})
  }

  /** A local device's display name changed: other servers show it with its keys. Never rejects. */
  async deviceRenamed(userId: UserId, deviceId: string): Promise<void> {
    try {
      await this.#announceDevices(userId, [deviceId])
    } catch (error) {
      this.#deps.logger?.warn(
        { err: error, user_id: userId },
        'could not announce a renamed device',
      )
    }
  }

  /** Tells other servers of the devices' current keys, as they would get them from /user/devices. */
  async #announceDevices(userId: UserId, deviceIds: readonly string[]): Promise<void> {
    const federation = this.#deps.federation
    if (federation === undefined || deviceIds.length === 0) return
    const answer = await this.localKeys(undefined, new Map([[userId, deviceIds]]))
    const found = answer.device_keys[userId] ?? {}
    const changes: DeviceChange[] = []
    for (const deviceId of deviceIds) {
      const keys = found[deviceId]
      if (keys === undefined) continue
      const { unsigned, ...bare } = keys
      const name = isJsonObject(unsigned) ? unsigned['device_display_name'] : undefined
      changes.push({
        deviceId,
        deleted: false,
        keys: bare,
        displayName: typeof name === 'string' ? name : undefined,
      })
    }
    await federation.devicesChanged(userId, changes)
  }

  async #announceSigningKeys(userId: UserId): Promise<void> {
    const federation = this.#deps.federation
    if (federation === undefined) return
    const answer = await this.localKeys(undefined, new Map([[userId, []]]))
    await federation.signingKeysChanged(
      userId,
      answer.master_keys[userId],
      answer.self_signing_keys[userId],
    )
  }

  /**
   * Signatures on a user's own keys change what other servers must show of them: a signed
   * device is a device list update, a signed master key a signing key update. Signatures of
   * other users' master keys are left out, as other servers never see those (key-query.ts).
   */
  async #announceSignatures(
    accepted: readonly KeySignature[],
    crossSigning: readonly CrossSigningKeyRecord[],
  ): Promise<void> {
    if (this.#deps.federation === undefined) return
    const own = accepted.filter((s) => s.signerUserId === s.targetUserId)
    for (const userId of new Set(own.map((s) => s.targetUserId))) {
      const targets = new Set(
        own.filter((s) => s.targetUserId === userId).map((s) => s.targetKeyId),
      )
      const crossKeys = new Set(
        crossSigning.filter((k) => k.userId === userId).map((k) => k.publicKey),
      )
      if ([...targets].some((t) => crossKeys.has(t))) await this.#announceSigningKeys(userId)
      await this.#announceDevices(
        userId,
        [...targets].filter((t) => !crossKeys.has(t)),
      )
    }
  }

  /** This server's users, and a failure for each other server named. */
  #split(users: readonly UserId[]): {
    local: UserId[]
    failures: Record<string, Failure>
  } {
    const local: UserId[] = []
    const failures: Record<string, Failure> = {}
    for (const user of new Set(users)) {
      const server = userIdServerName(user)
      if (server === this.#deps.serverName) local.push(user)
      else failures[server] = NO_FEDERATION
    }
    return { local, failures }
  }
}

function noDevice(): ServerError {
  return serverError('M_UNKNOWN', 'This access token belongs to no device', { status: 400 })
}

/** Whether a value is the object map of a `messages` or signature upload body. */
export function isObjectMap(value: unknown): value is Record<string, JsonObject> {
  return isJsonObject(value) && Object.values(value).every(isJsonObject)
}
