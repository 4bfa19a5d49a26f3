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
  } satisfies Record<RateLimitedAction, RateLimitRule>,
  federationEnabled: true,
  verifyTls: true,
  allowPrivateAddresses: false,
  /** No notary: nobody else learns which servers this one talks to. */
  trustedKeyServers: [] as readonly string[],
  presenceEnabled: true,
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
