import type { LogFormat, LogLevel, RateLimitedAction, RateLimitRule } from './config.js'

/**
 * The value of every key that the configuration leaves out. The validator and the generated
 * config file both read them from here, so the file's comments can never drift from the code.
 */
export const DEFAULTS = {
  bind: '127.0.0.1',
  port: 8008,
  dataDir: './data',
  /** Under data_dir unless `database` says otherwise. */
  sqliteFile: 'homeserver.db',
  /** Under data_dir unless `signing_key_path` says otherwise. */
  signingKeyFile: 'signing.key',
  registrationEnabled: false,
  registrationTokenRequired: false,
  rateLimitingEnabled: true,
  rateLimits: {
    // Like Synapse's defaults: a few attempts at once, then one every few seconds.
    login: { perSecond: 0.17, burstCount: 5 },
    registration: { perSecond: 0.17, burstCount: 3 },
    message: { perSecond: 0.2, burstCount: 10 },
    // Reports of content, rooms and users: a few at once, then one every 10 seconds.
    report: { perSecond: 0.1, burstCount: 5 },
    // Uploads and media IDs from /create: an album at once, then one a second.
    media_upload: { perSecond: 1, burstCount: 20 },
    // URL previews make the server fetch pages: a screenful of links, then one a second.
    url_preview: { perSecond: 1, burstCount: 10 },
    // Downloads and thumbnails: opening a client fetches a screenful of avatars and images at
    // once, and the legacy unauthenticated endpoints share one bucket per address (a whole
    // office behind one NAT). The limit is there for scrapers, and for remote media, which the
    // server fetches from other servers.
    media_download: { perSecond: 20, burstCount: 500 },
    // Clients send a typing notice when typing starts and renew it every few seconds while it
    // goes on; a few a second covers fast switching between rooms, and each notice goes to
    // every member's sync and server.
    typing: { perSecond: 2, burstCount: 30 },
    // Clients set presence when the user comes, goes or idles, a few times a minute at most;
    // each change reaches everyone who shares a room with them.
    presence: { perSecond: 0.5, burstCount: 10 },
    // Receipts and read markers follow reading, a few a second; "mark all as read" sends one
    // per unread room at once, hence the large burst.
    receipt: { perSecond: 5, burstCount: 200 },
    // Joins, knocks and invites: a join to another server makes it build and sign an event for
    // us, and invites can be spam. Joining a space's rooms or inviting a team still fits.
    join: { perSecond: 0.2, burstCount: 20 },
    // Leaving (and forgetting) a space leaves each of its rooms at once; cheaper than a join.
    leave: { perSecond: 1, burstCount: 50 },
    // A display name or avatar change writes a membership event in every room of the user, so
    // a profile edit (name and avatar together) is allowed a few times, then one every 10 s.
    profile: { perSecond: 0.1, burstCount: 10 },
    // /search, /threads and /hierarchy read a lot of the database per request (a room's aliases
    // go with them); clients ask page by page as the user scrolls.
    room_query: { perSecond: 2, burstCount: 30 },
    // Clients search the user directory as the user types, a request every few keystrokes.
    user_directory: { perSecond: 3, burstCount: 30 },
    // Pushers and push rules change when settings are edited; a notification settings page
    // can rewrite a dozen rules in one go.
    push_settings: { perSecond: 1, burstCount: 50 },
    // Clients back up room keys in batches as they arrive and fetch them all when restoring;
    // catching up after a long time offline sends many batches in a row.
    key_backup: { perSecond: 10, burstCount: 100 },
  } satisfies Record<RateLimitedAction, RateLimitRule>,
  federationEnabled: true,
  verifyTls: true,
  allowPrivateAddresses: false,
  /** No notary: nobody else learns which servers this one talks to. */
  trustedKeyServers: [] as readonly string[],
  presenceEnabled: true,
  webClientEnabled: true,
  allowHttpGateways: false,
  maxUploadSize: 50 * 1024 * 1024,
  freezeLegacyMedia: true,
  urlPreviewEnabled: false,
  urlPreviewAllowPrivateAddresses: false,
  maxJsonBodySize: 1024 * 1024,
  logLevel: 'info' satisfies LogLevel as LogLevel,
  logFormat: 'pretty' satisfies LogFormat as LogFormat,
} as const

/** Bounds on the JSON body limit: below 1 KiB no client works, above 64 MiB is a memory risk. */
export const MIN_JSON_BODY_SIZE = 1024
export const MAX_JSON_BODY_SIZE = 64 * 1024 * 1024
/** The upload limit is kept below 2^53 only because larger numbers are not exact. */
export const MAX_UPLOAD_SIZE = Number.MAX_SAFE_INTEGER
