import type { ServerName } from '@rhizome/core'

/**
 * The validated configuration. The YAML keys are snake_case (homeserver.yaml convention); here
 * they are camelCase. Paths are absolute: relative ones in a file are resolved against the file's
 * directory, those given on the command line against the working directory.
 */
export interface Config {
  readonly serverName: ServerName
  /** The URL clients use, ending in `/`; unset when the server name's host serves the API. */
  readonly publicBaseurl: string | undefined
  readonly listeners: readonly ListenerConfig[]
  readonly database: DatabaseConfig
  readonly dataDir: string
  readonly signingKeyPath: string
  readonly registration: RegistrationConfig
  readonly rateLimiting: RateLimitingConfig
  readonly federation: FederationConfig
  readonly presence: PresenceConfig
  readonly push: PushConfig
  readonly media: MediaConfig
  readonly http: HttpConfig
  readonly webClient: WebClientConfig
  readonly log: LogConfig
}

/** The web app (packages/web), served at `/` by listeners with the `client` resource. */
export interface WebClientConfig {
  readonly enabled: boolean
  /** The app's built files; undefined: the build beside this server in its repository. */
  readonly dir: string | undefined
}

export const LISTENER_RESOURCES = ['client', 'federation', 'media'] as const
export type ListenerResource = (typeof LISTENER_RESOURCES)[number]

export interface ListenerConfig {
  readonly bind: string
  /** 0 asks the OS for a free port (for tests). */
  readonly port: number
  readonly tls: TlsConfig | undefined
  readonly resources: readonly ListenerResource[]
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  readonly xForwarded: boolean
}

export interface TlsConfig {
  readonly certificatePath: string
  readonly keyPath: string
}

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }

export interface RegistrationConfig {
  readonly enabled: boolean
  readonly registrationTokenRequired: boolean
  readonly sharedSecret: string | undefined
}

export const RATE_LIMITED_ACTIONS = [
  'login',
  'registration',
  'message',
  'report',
  'media_upload',
  'url_preview',
  'media_download',
  'typing',
  'presence',
  'receipt',
  'join',
  'leave',
  'profile',
  'room_query',
  'user_directory',
  'push_settings',
  'key_backup',
] as const
export type RateLimitedAction = (typeof RATE_LIMITED_ACTIONS)[number]

/** A token bucket: `burstCount` requests at once, refilled at `perSecond`. */
export interface RateLimitRule {
  readonly perSecond: number
  readonly burstCount: number
}

export interface RateLimitingConfig {
  readonly enabled: boolean
  /**
   * The validator gives every action its rule; a rule left out of a configuration built in code
   * takes its default, as a key left out of the file does.
   */
  readonly rules: Readonly<Partial<Record<RateLimitedAction, RateLimitRule>>>
}

export interface FederationConfig {
  readonly enabled: boolean
  readonly verifyTls: boolean
  readonly extraCaFiles: readonly string[]
  readonly allowPrivateAddresses: boolean
  /**
   * Notary servers asked for a server's signing keys when its own key server does not answer.
   * The validator always sets it; a configuration built in code that leaves it out trusts none.
   */
  readonly trustedKeyServers?: readonly ServerName[]
}

export interface PresenceConfig {
  /** Off: no presence is kept or sent; the presence endpoints answer 403 M_FORBIDDEN. */
  readonly enabled: boolean
}

export interface PushConfig {
  /**
   * Accept pushers whose gateway URL is plain `http:` (the spec requires `https:`): for a
   * gateway on the same host, or for tests.
   */
  readonly allowHttpGateways: boolean
}

export interface MediaConfig {
  readonly maxUploadSize: number
  /**
   * Serve media uploaded from now on only through the authenticated endpoints: the deprecated
   * unauthenticated `/_matrix/media/v3/download` and `/thumbnail` keep serving only media
   * uploaded while this was off (client-server-api §Content repository, the freeze).
   */
  readonly freezeLegacyMedia: boolean
  /** Offer `preview_url`, which makes the server fetch URLs that users give it. */
  readonly urlPreviewEnabled: boolean
  /** Let URL previews fetch private, loopback and link-local addresses (tests, intranets). */
  readonly urlPreviewAllowPrivateAddresses: boolean
}

export interface HttpConfig {
  /** The largest JSON request body, in bytes (media uploads have their own limit). */
  readonly maxJsonBodySize: number
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface LogConfig {
  readonly level: LogLevel
  readonly format: LogFormat
}
