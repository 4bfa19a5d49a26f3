import type { AccountService } from '../accounts/account-service.js'
import type { Config } from '../config/config.js'
import type { DirectoryService } from '../directory/directory-service.js'
import type { E2eeService } from '../e2ee/e2ee-service.js'
import type { KeyNotary } from '../federation/keys/key-notary.js'
import type { HistoryServingDeps } from '../federation/history/serve-history.js'
import type { ResidentJoinDeps } from '../federation/membership/resident-join.js'
import type { TransactionDeps } from '../federation/receive/transaction.js'
import type { ServerKeyPublisher } from '../keys/server-keys.js'
import type { MediaService } from '../media/media-service.js'
import type { UrlPreviewService } from '../media/url-preview/url-preview-service.js'
import type { ProfileService } from '../profiles/profile-service.js'
import type { PresenceService } from '../presence/presence-service.js'
import type { HttpPusher } from '../push/http-pusher.js'
import type { PushRulesService } from '../push/push-rules-service.js'
import type { ReceiptService } from '../receipts/receipt-service.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import type { SyncService } from '../sync/sync-service.js'
import type { TypingService } from '../typing/typing-service.js'

/**
 * What route handlers may use, built once by the composition root (startHomeserver) and passed
 * down: no module holds a service of its own. Each handler names only the members it needs, so a
 * test can hand it a small object. Storage, rooms, sync and accounts join here as they are built.
 */
export interface Services {
  readonly config: Config
  readonly serverKeys: ServerKeyPublisher
  /** Other servers' keys, fetched and cached, served as a notary (src/federation/keys). */
  readonly keyNotary: KeyNotary
  /** Transactions from other servers (src/federation/receive). */
  readonly federationReceiver: TransactionDeps
  /**
   * Other servers' users joining, knocking on and leaving rooms through this server, and signing
   * their invites of our users (src/federation/membership).
   */
  readonly residentJoin: ResidentJoinDeps
  /** Other servers reading a room's history: events, state, auth chains, backfill. */
  readonly federationHistory: HistoryServingDeps
  readonly now: () => number
  /** Accounts: registration, login, access tokens, passwords, devices (src/accounts). */
  readonly accounts: AccountService
  /** Rooms: creating them, membership, sending and reading events (src/rooms). */
  readonly rooms: RoomService
  /** The database, for endpoints that are one store call (filters, account data). */
  readonly storage: Storage
  /** `/sync`: the sync builder and its long-poll (src/sync). */
  readonly sync: SyncService
  /** Profiles, and carrying their changes into member events (src/profiles). */
  readonly profiles: ProfileService
  /** Room aliases, the published room directory and the user directory (src/directory). */
  readonly directory: DirectoryService
  /** Typing notices and their expiry (src/typing). */
  readonly typing: TypingService
  /** Presence (src/presence); undefined when the configuration disables it. */
  readonly presence: PresenceService | undefined
  /** Users' push rules, in their `m.push_rules` account data (src/push). */
  readonly pushRules: PushRulesService
  /** Read receipts and read markers (src/receipts). */
  readonly receipts: ReceiptService
  /** Posts notifications to push gateways (src/push/http-pusher.ts). */
  readonly httpPusher: HttpPusher
  /** Devices' keys, cross-signing and to-device messages (src/e2ee). */
  readonly e2ee: E2eeService
  /** The content repository: uploads, downloads, thumbnails (src/media). */
  readonly media: MediaService
  /** URL previews (src/media/url-preview); undefined when the configuration turns them off. */
  readonly urlPreviews: UrlPreviewService | undefined
}
