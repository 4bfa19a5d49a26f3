import { isIP } from 'node:net'
import { err, ok, parseServerName, type Result, type ServerName } from '@rhizome/core'
import {
  LISTENER_RESOURCES,
  LOG_FORMATS,
  LOG_LEVELS,
  RATE_LIMITED_ACTIONS,
  type Config,
  type DatabaseConfig,
  type ListenerConfig,
  type ListenerResource,
  type RateLimitedAction,
  type RateLimitingConfig,
  type RateLimitRule,
  type TlsConfig,
} from './config.js'
import { configError, describeValue, type ConfigError } from './config-error.js'
import { ConfigSection } from './config-reader.js'
import { DEFAULTS, MAX_JSON_BODY_SIZE, MAX_UPLOAD_SIZE, MIN_JSON_BODY_SIZE } from './defaults.js'

/** The keys of each mapping, in the order the generated file lists them. */
export const CONFIG_KEYS = {
  root: [
    'server_name',
    'public_baseurl',
    'listeners',
    'database',
    'data_dir',
    'signing_key_path',
    'registration',
    'rate_limiting',
    'federation',
    'presence',
    'push',
    'media',
    'http',
    'web_client',
    'log',
  ],
  listener: ['bind', 'port', 'tls', 'resources', 'x_forwarded'],
  tls: ['certificate', 'key'],
  registration: ['enabled', 'registration_token_required', 'shared_secret'],
  rateLimiting: ['enabled', ...RATE_LIMITED_ACTIONS],
  rateLimitRule: ['per_second', 'burst_count'],
  federation: [
    'enabled',
    'verify_tls',
    'extra_ca_files',
    'allow_private_addresses',
    'trusted_key_servers',
  ],
  presence: ['enabled'],
  push: ['allow_http_gateways'],
  media: [
    'max_upload_size',
    'freeze_legacy_media',
    'url_preview_enabled',
    'url_preview_allow_private_addresses',
  ],
  http: ['max_json_body_size'],
  webClient: ['enabled', 'dir'],
  log: ['level', 'format'],
} as const

/**
 * Checks the parsed YAML (`raw`) and builds the typed Config, or lists every problem found.
 * Relative paths are resolved against `baseDir`.
 */
export function validateConfig(raw: unknown, baseDir: string): Result<Config, ConfigError[]> {
  const errors: ConfigError[] = []
  const root = ConfigSection.open(raw, '', CONFIG_KEYS.root, errors, baseDir)

  const serverName = readServerName(root)
  const publicBaseurl = readPublicBaseurl(root)
  const listeners = readListeners(root)
  const dataDir = root.filePath('data_dir', DEFAULTS.dataDir)
  const database = readDatabase(root, dataDir)
  const signingKeyPath = root.filePath('signing_key_path', `${dataDir}/${DEFAULTS.signingKeyFile}`)

  const registrationSection = root.section('registration', CONFIG_KEYS.registration)
  const registration = {
    enabled: registrationSection.boolean('enabled', DEFAULTS.registrationEnabled),
    registrationTokenRequired: registrationSection.boolean(
      'registration_token_required',
      DEFAULTS.registrationTokenRequired,
    ),
    sharedSecret: registrationSection.string('shared_secret'),
  }

  const rateLimiting = readRateLimiting(root.section('rate_limiting', CONFIG_KEYS.rateLimiting))

  const federationSection = root.section('federation', CONFIG_KEYS.federation)
  const federation = {
    enabled: federationSection.boolean('enabled', DEFAULTS.federationEnabled),
    verifyTls: federationSection.boolean('verify_tls', DEFAULTS.verifyTls),
    extraCaFiles: (federationSection.stringList('extra_ca_files') ?? []).map((path) =>
      federationSection.resolvePath(path),
    ),
    allowPrivateAddresses: federationSection.boolean(
      'allow_private_addresses',
      DEFAULTS.allowPrivateAddresses,
    ),
    trustedKeyServers: readTrustedKeyServers(federationSection),
  }

  const presenceSection = root.section('presence', CONFIG_KEYS.presence)
  const presence = { enabled: presenceSection.boolean('enabled', DEFAULTS.presenceEnabled) }

  const pushSection = root.section('push', CONFIG_KEYS.push)
  const push = {
    allowHttpGateways: pushSection.boolean('allow_http_gateways', DEFAULTS.allowHttpGateways),
  }

  const mediaSection = root.section('media', CONFIG_KEYS.media)
  const maxUploadSize =
    mediaSection.integer('max_upload_size', 1, MAX_UPLOAD_SIZE, DEFAULTS.maxUploadSize) ??
    DEFAULTS.maxUploadSize
  const media = {
    maxUploadSize,
    freezeLegacyMedia: mediaSection.boolean('freeze_legacy_media', DEFAULTS.freezeLegacyMedia),
    urlPreviewEnabled: mediaSection.boolean('url_preview_enabled', DEFAULTS.urlPreviewEnabled),
    urlPreviewAllowPrivateAddresses: mediaSection.boolean(
      'url_preview_allow_private_addresses',
      DEFAULTS.urlPreviewAllowPrivateAddresses,
    ),
  }

  const httpSection = root.section('http', CONFIG_KEYS.http)
  const maxJsonBodySize =
    httpSection.integer(
      'max_json_body_size',
      MIN_JSON_BODY_SIZE,
      MAX_JSON_BODY_SIZE,
      DEFAULTS.maxJsonBodySize,
    ) ?? DEFAULTS.maxJsonBodySize

  const webSection = root.section('web_client', CONFIG_KEYS.webClient)
  const webClientDir = webSection.string('dir')
  const webClient = {
    enabled: webSection.boolean('enabled', DEFAULTS.webClientEnabled),
    dir: webClientDir === undefined ? undefined : webSection.resolvePath(webClientDir),
  }

  const logSection = root.section('log', CONFIG_KEYS.log)
  const log = {
    level: logSection.oneOf('level', LOG_LEVELS, DEFAULTS.logLevel),
    format: logSection.oneOf('format', LOG_FORMATS, DEFAULTS.logFormat),
  }

  if (errors.length > 0 || serverName === undefined || database === undefined) {
    return err(errors)
  }
  return ok({
    serverName,
    publicBaseurl,
    listeners,
    database,
    dataDir,
    signingKeyPath,
    registration,
    rateLimiting,
    federation,
    presence,
    push,
    media,
    http: { maxJsonBodySize },
    webClient,
    log,
  })
}

function readServerName(root: ConfigSection): ServerName | undefined {
  const value = root.raw('server_name')
  if (value === undefined) {
    root.missing('server_name', 'the domain that appears in user IDs, such as example.org')
    return undefined
  }
  if (typeof value !== 'string') {
    root.fail('server_name', 'a server name such as example.org')
    return undefined
  }
  const parsed = parseServerName(value)
  if (!parsed.ok) {
    root.errors.push(configError('server_name', parsed.error.error))
    return undefined
  }
  return parsed.value
}

function readTrustedKeyServers(section: ConfigSection): readonly ServerName[] {
  const names = section.stringList('trusted_key_servers')
  if (names === undefined) return DEFAULTS.trustedKeyServers.map((name) => name as ServerName)
  const out: ServerName[] = []
  names.forEach((name, i) => {
    const parsed = parseServerName(name)
    if (parsed.ok) out.push(parsed.value)
    else
      section.errors.push(
        configError(`${section.keyPath('trusted_key_servers')}[${i}]`, parsed.error.error),
      )
  })
  return out
}

function readPublicBaseurl(root: ConfigSection): string | undefined {
  const value = root.raw('public_baseurl')
  if (value === undefined) return undefined
  const expected = 'an http:// or https:// URL such as https://matrix.example.org/'
  if (typeof value !== 'string' || !URL.canParse(value)) {
    root.fail('public_baseurl', expected)
    return undefined
  }
  const url = new URL(value)
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    root.fail('public_baseurl', `${expected}, without query or fragment`)
    return undefined
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`
}

function readListeners(root: ConfigSection): readonly ListenerConfig[] {
  const items = root.list('listeners')
  if (items === undefined) {
    return [
      {
        bind: DEFAULTS.bind,
        port: DEFAULTS.port,
        tls: undefined,
        resources: LISTENER_RESOURCES,
        xForwarded: false,
      },
    ]
  }
  if (items.length === 0) {
    root.fail('listeners', 'a list of one or more listeners')
    return []
  }
  const listeners: ListenerConfig[] = []
  const seen = new Map<string, number>()
  items.forEach((item, i) => {
    const path = `listeners[${i}]`
    const listener = readListener(
      ConfigSection.open(item, path, CONFIG_KEYS.listener, root.errors, root.baseDir),
    )
    if (listener === undefined) return
    const address = `${listener.bind}:${listener.port}`
    const earlier = seen.get(address)
    if (earlier !== undefined && listener.port !== 0) {
      root.errors.push(configError(path, `same address as listeners[${earlier}] (${address})`))
    }
    seen.set(address, i)
    listeners.push(listener)
  })
  return listeners
}

function readListener(section: ConfigSection): ListenerConfig | undefined {
  const bind = readBind(section)
  const port = section.integer('port', 0, 65535, undefined)
  if (section.raw('port') === undefined)
    section.missing('port', 'the TCP port to listen on, such as 8008')
  const tls = readTls(section)
  const resources = readResources(section)
  const xForwarded = section.boolean('x_forwarded', false)
  if (bind === undefined || port === undefined) return undefined
  return { bind, port, tls, resources, xForwarded }
}

function readBind(listener: ConfigSection): string | undefined {
  const bind = listener.raw('bind') ?? DEFAULTS.bind
  if (typeof bind === 'string' && (isIP(bind) !== 0 || bind === 'localhost')) return bind
  listener.fail('bind', 'an IP address such as 127.0.0.1, 0.0.0.0 or ::')
  return undefined
}

function readTls(listener: ConfigSection): TlsConfig | undefined {
  if (listener.raw('tls') === undefined) return undefined
  const section = listener.section('tls', CONFIG_KEYS.tls)
  const certificate = section.string('certificate')
  const key = section.string('key')
  if (section.raw('certificate') === undefined) {
    section.missing('certificate', 'the PEM certificate chain file (fullchain.pem)')
  }
  if (section.raw('key') === undefined) section.missing('key', 'the PEM private key file')
  if (certificate === undefined || key === undefined) return undefined
  return { certificatePath: section.resolvePath(certificate), keyPath: section.resolvePath(key) }
}

function readResources(listener: ConfigSection): readonly ListenerResource[] {
  const items = listener.list('resources')
  if (items === undefined) return LISTENER_RESOURCES
  const expected = `one of ${LISTENER_RESOURCES.join(', ')}`
  if (items.length === 0) {
    listener.fail('resources', `a list of ${expected}`)
    return []
  }
  const resources: ListenerResource[] = []
  items.forEach((item, i) => {
    const path = `${listener.keyPath('resources')}[${i}]`
    const resource = LISTENER_RESOURCES.find((r) => r === item)
    if (resource === undefined) {
      listener.errors.push(configError(path, `expected ${expected}, got ${describeValue(item)}`))
    } else if (resources.includes(resource)) {
      listener.errors.push(configError(path, `${resource} is listed twice`))
    } else {
      resources.push(resource)
    }
  })
  return resources
}

function readDatabase(root: ConfigSection, dataDir: string): DatabaseConfig | undefined {
  const value = root.raw('database')
  if (value === undefined) return { kind: 'sqlite', path: `${dataDir}/${DEFAULTS.sqliteFile}` }
  const expected = 'sqlite:PATH or postgres://USER@HOST:PORT/DBNAME'
  if (typeof value === 'string' && value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length)
    if (path === ':memory:') return { kind: 'sqlite', path }
    if (path.trim() !== '' && !path.startsWith('//')) {
      return { kind: 'sqlite', path: root.resolvePath(path) }
    }
  }
  if (typeof value === 'string' && /^postgres(ql)?:\/\//.test(value) && URL.canParse(value)) {
    const url = new URL(value)
    if (url.hostname !== '' && url.pathname.length > 1) return { kind: 'postgres', url: value }
  }
  // Messages reach logs and terminals, so a password in the URL is not repeated.
  const shown = describeValue(typeof value === 'string' ? withoutPassword(value) : value)
  root.errors.push(configError('database', `expected ${expected}, got ${shown}`))
  return undefined
}

function readRateLimiting(section: ConfigSection): RateLimitingConfig {
  const rule = (action: RateLimitedAction): RateLimitRule => {
    const fallback = DEFAULTS.rateLimits[action]
    const values = section.section(action, CONFIG_KEYS.rateLimitRule)
    return {
      perSecond: values.positiveNumber('per_second', fallback.perSecond),
      burstCount:
        values.integer('burst_count', 1, 1_000_000, fallback.burstCount) ?? fallback.burstCount,
    }
  }
  return {
    enabled: section.boolean('enabled', DEFAULTS.rateLimitingEnabled),
    rules: {
      login: rule('login'),
      registration: rule('registration'),
      message: rule('message'),
      report: rule('report'),
      media_upload: rule('media_upload'),
      url_preview: rule('url_preview'),
      media_download: rule('media_download'),
      typing: rule('typing'),
      presence: rule('presence'),
      receipt: rule('receipt'),
      join: rule('join'),
      leave: rule('leave'),
      profile: rule('profile'),
      room_query: rule('room_query'),
      user_directory: rule('user_directory'),
      push_settings: rule('push_settings'),
      key_backup: rule('key_backup'),
    } satisfies Record<RateLimitedAction, RateLimitRule>,
  }
}

/** A database URL as it may appear in a message: any password replaced. */
function withoutPassword(value: string): string {
  if (!URL.canParse(value)) return value
  const url = new URL(value)
  if (url.password === '') return value
  url.password = '***'
  return url.href
}
