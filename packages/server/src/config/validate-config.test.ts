import { describe, expect, it } from 'vitest'
import { RATE_LIMITED_ACTIONS, type Config } from './config.js'
import { formatConfigError } from './config-error.js'
import { DEFAULTS } from './defaults.js'
import { validateConfig } from './validate-config.js'

const BASE = '/srv/rhizome'

function valid(raw: Record<string, unknown>): Config {
  const result = validateConfig({ server_name: 'example.org', ...raw }, BASE)
  if (!result.ok) throw new Error(result.error.map(formatConfigError).join('\n'))
  return result.value
}

/** The error lines for `raw` (with a valid server name unless `raw` sets one). */
function problems(raw: unknown): string[] {
  const input =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? { server_name: 'example.org', ...raw }
      : raw
  const result = validateConfig(input, BASE)
  if (result.ok) return []
  return result.error.map(formatConfigError)
}

describe('defaults', () => {
  it('fill in everything but server_name', () => {
    expect(valid({})).toEqual({
      serverName: 'example.org',
      publicBaseurl: undefined,
      listeners: [
        {
          bind: '127.0.0.1',
          port: 8008,
          tls: undefined,
          resources: ['client', 'federation', 'media'],
          xForwarded: false,
        },
      ],
      database: { kind: 'sqlite', path: `${BASE}/data/homeserver.db` },
      dataDir: `${BASE}/data`,
      signingKeyPath: `${BASE}/data/signing.key`,
      registration: { enabled: false, registrationTokenRequired: false, sharedSecret: undefined },
      rateLimiting: { enabled: true, rules: DEFAULTS.rateLimits },
      federation: {
        enabled: true,
        verifyTls: true,
        extraCaFiles: [],
        allowPrivateAddresses: false,
        trustedKeyServers: [],
      },
      presence: { enabled: true },
      push: { allowHttpGateways: false },
      media: {
        maxUploadSize: 52428800,
        freezeLegacyMedia: true,
        urlPreviewEnabled: false,
        urlPreviewAllowPrivateAddresses: false,
      },
      http: { maxJsonBodySize: 1048576 },
      webClient: { enabled: true, dir: undefined },
      log: { level: 'info', format: 'pretty' },
    })
  })

  it('derive the database and signing key paths from data_dir', () => {
    const config = valid({ data_dir: '/var/lib/rhizome' })
    expect(config.database).toEqual({ kind: 'sqlite', path: '/var/lib/rhizome/homeserver.db' })
    expect(config.signingKeyPath).toBe('/var/lib/rhizome/signing.key')
  })

  it('read null as unset', () => {
    expect(valid({ registration: null, log: { level: null } }).log.level).toBe('info')
  })
})

describe('the whole file', () => {
  it('must be a mapping', () => {
    expect(problems([1, 2])[0]).toMatch(/^expected a mapping with keys server_name, .*got a list$/)
    expect(problems('server_name: x')[0]).toMatch(/got "server_name: x"$/)
  })

  it('reads as empty when empty, which lacks server_name', () => {
    expect(problems(null)).toEqual([
      'server_name: required: the domain that appears in user IDs, such as example.org',
    ])
  })

  it('reports every problem at once', () => {
    const found = problems({ data_dir: 5, log: { level: 'loud', format: 'xml' }, extra: 1 })
    expect(found).toEqual([
      'extra: unknown key (expected one of server_name, public_baseurl, listeners, database, data_dir, signing_key_path, registration, rate_limiting, federation, presence, push, media, http, web_client, log)',
      'data_dir: expected a non-empty string, got 5',
      'log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
      'log.format: expected one of pretty, json, got "xml"',
    ])
  })
})

describe('unknown keys', () => {
  it('are named with their path, at every level, with a suggestion when one is close', () => {
    expect(problems({ server_nmae: 'x' })).toContain(
      'server_nmae: unknown key (did you mean server_name?)',
    )
    expect(problems({ registration: { enabeld: true } })).toEqual([
      'registration.enabeld: unknown key (did you mean enabled?)',
    ])
    expect(
      problems({ listeners: [{ port: 1, bind: '::', tls: { cert: 'a', key: 'b' } }] }),
    ).toEqual([
      'listeners[0].tls.cert: unknown key (expected one of certificate, key)',
      'listeners[0].tls.certificate: required: the PEM certificate chain file (fullchain.pem)',
    ])
    expect(problems({ rate_limiting: { login: { per_minute: 3 } } })).toEqual([
      'rate_limiting.login.per_minute: unknown key (expected one of per_second, burst_count)',
    ])
  })
})

describe('server_name', () => {
  it('must be a valid server name', () => {
    expect(valid({ server_name: 'matrix.example.org:8448' }).serverName).toBe(
      'matrix.example.org:8448',
    )
    expect(valid({ server_name: '[::1]:8448' }).serverName).toBe('[::1]:8448')
    expect(problems({ server_name: 42 })).toEqual([
      'server_name: expected a server name such as example.org, got 42',
    ])
    expect(problems({ server_name: 'bad name' })[0]).toMatch(
      /^server_name: server name .*"bad name"/,
    )
    expect(problems({ server_name: 'example.org:99999' })).toHaveLength(1)
  })
})

describe('public_baseurl', () => {
  it('is an http(s) URL, stored with a trailing slash', () => {
    expect(valid({ public_baseurl: 'https://matrix.example.org' }).publicBaseurl).toBe(
      'https://matrix.example.org/',
    )
    expect(valid({ public_baseurl: 'http://localhost:8008/base/' }).publicBaseurl).toBe(
      'http://localhost:8008/base/',
    )
  })

  it('refuses other schemes, queries, fragments, non-URLs and non-strings', () => {
    for (const bad of [
      'ftp://x.org/',
      'https://x.org/?a=1',
      'https://x.org/#top',
      'matrix.example.org',
      3,
    ]) {
      expect(problems({ public_baseurl: bad })[0]).toMatch(
        /^public_baseurl: expected an http:\/\/ or https:\/\/ URL/,
      )
    }
  })
})

describe('listeners', () => {
  it('read every field', () => {
    const config = valid({
      listeners: [
        {
          bind: '0.0.0.0',
          port: 8448,
          tls: { certificate: 'tls/fullchain.pem', key: '/etc/key.pem' },
          resources: ['federation'],
          x_forwarded: false,
        },
        { bind: '::', port: 8008, resources: ['client', 'media'], x_forwarded: true },
        { port: 0 },
      ],
    })
    expect(config.listeners).toEqual([
      {
        bind: '0.0.0.0',
        port: 8448,
        tls: { certificatePath: `${BASE}/tls/fullchain.pem`, keyPath: '/etc/key.pem' },
        resources: ['federation'],
        xForwarded: false,
      },
      { bind: '::', port: 8008, tls: undefined, resources: ['client', 'media'], xForwarded: true },
      {
        bind: '127.0.0.1',
        port: 0,
        tls: undefined,
        resources: ['client', 'federation', 'media'],
        xForwarded: false,
      },
    ])
  })

  it('must be a non-empty list of mappings', () => {
    expect(problems({ listeners: [] })).toEqual([
      'listeners: expected a list of one or more listeners, got a list',
    ])
    expect(problems({ listeners: { port: 8008 } })).toEqual([
      'listeners: expected a list, got a mapping',
    ])
    expect(problems({ listeners: [8008] })).toEqual([
      'listeners[0]: expected a mapping with keys bind, port, tls, resources, x_forwarded, got 8008',
      'listeners[0].port: required: the TCP port to listen on, such as 8008',
    ])
  })

  it('check port, bind, resources, tls and x_forwarded', () => {
    expect(problems({ listeners: [{ port: 'abc' }] })).toEqual([
      'listeners[0].port: expected an integer 0-65535, got "abc"',
    ])
    expect(problems({ listeners: [{ port: 65536 }] })).toEqual([
      'listeners[0].port: expected an integer 0-65535, got 65536',
    ])
    expect(problems({ listeners: [{ port: 80.5 }] })).toEqual([
      'listeners[0].port: expected an integer 0-65535, got 80.5',
    ])
    expect(problems({ listeners: [{ port: 1, bind: 'example.org' }] })).toEqual([
      'listeners[0].bind: expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, got "example.org"',
    ])
    expect(problems({ listeners: [{ port: 1, resources: ['client', 'web'] }] })).toEqual([
      'listeners[0].resources[1]: expected one of client, federation, media, got "web"',
    ])
    expect(problems({ listeners: [{ port: 1, resources: ['client', 'client'] }] })).toEqual([
      'listeners[0].resources[1]: client is listed twice',
    ])
    expect(problems({ listeners: [{ port: 1, resources: [] }] })).toEqual([
      'listeners[0].resources: expected a list of one of client, federation, media, got a list',
    ])
    expect(problems({ listeners: [{ port: 1, resources: 'client' }] })).toEqual([
      'listeners[0].resources: expected a list, got "client"',
    ])
    expect(problems({ listeners: [{ port: 1, tls: { certificate: 'c' } }] })).toEqual([
      'listeners[0].tls.key: required: the PEM private key file',
    ])
    expect(problems({ listeners: [{ port: 1, tls: true }] })).toEqual([
      'listeners[0].tls: expected a mapping with keys certificate, key, got true',
      'listeners[0].tls.certificate: required: the PEM certificate chain file (fullchain.pem)',
      'listeners[0].tls.key: required: the PEM private key file',
    ])
    expect(problems({ listeners: [{ port: 1, x_forwarded: 'yes' }] })).toEqual([
      'listeners[0].x_forwarded: expected true or false, got "yes"',
    ])
  })

  it('may not share an address', () => {
    expect(problems({ listeners: [{ port: 8008 }, { port: 8008, bind: '127.0.0.1' }] })).toEqual([
      'listeners[1]: same address as listeners[0] (127.0.0.1:8008)',
    ])
    expect(problems({ listeners: [{ port: 0 }, { port: 0 }] })).toEqual([])
  })
})

describe('database', () => {
  it('takes sqlite paths and PostgreSQL URLs', () => {
    expect(valid({ database: 'sqlite:db/home.db' }).database).toEqual({
      kind: 'sqlite',
      path: `${BASE}/db/home.db`,
    })
    expect(valid({ database: 'sqlite:/abs/home.db' }).database).toEqual({
      kind: 'sqlite',
      path: '/abs/home.db',
    })
    expect(valid({ database: 'sqlite::memory:' }).database).toEqual({
      kind: 'sqlite',
      path: ':memory:',
    })
    const url = 'postgres://rhizome:pw@db.internal:5432/rhizome'
    expect(valid({ database: url }).database).toEqual({ kind: 'postgres', url })
    expect(valid({ database: 'postgresql://db/rz' }).database).toEqual({
      kind: 'postgres',
      url: 'postgresql://db/rz',
    })
  })

  it('refuses anything else without repeating a password', () => {
    const expected = 'database: expected sqlite:PATH or postgres://USER@HOST:PORT/DBNAME, got'
    expect(problems({ database: 'mysql://u@h/db' })).toEqual([`${expected} "mysql://u@h/db"`])
    expect(problems({ database: 'sqlite:' })).toEqual([`${expected} "sqlite:"`])
    expect(problems({ database: 'postgres://host' })).toEqual([`${expected} "postgres://host"`])
    expect(problems({ database: 7 })).toEqual([`${expected} 7`])
    const leaked = problems({ database: 'postgres://u:topsecret@host' })
    expect(leaked).toEqual([`${expected} "postgres://u:***@host"`])
  })
})

describe('registration', () => {
  it('reads its three keys', () => {
    expect(
      valid({
        registration: { enabled: true, registration_token_required: true, shared_secret: 's3cret' },
      }).registration,
    ).toEqual({
      enabled: true,
      registrationTokenRequired: true,
      sharedSecret: 's3cret',
    })
  })

  it('checks their types', () => {
    expect(
      problems({
        registration: { enabled: 'yes', registration_token_required: 1, shared_secret: '' },
      }),
    ).toEqual([
      'registration.enabled: expected true or false, got "yes"',
      'registration.registration_token_required: expected true or false, got 1',
      'registration.shared_secret: expected a non-empty string, got ""',
    ])
    expect(problems({ registration: true })).toEqual([
      'registration: expected a mapping with keys enabled, registration_token_required, shared_secret, got true',
    ])
  })
})

describe('web_client', () => {
  it('serves the app by default, from a directory relative to the file when given', () => {
    const config = validateConfig({ server_name: 'example.org' }, BASE)
    expect(config.ok && config.value.webClient).toEqual({ enabled: true, dir: undefined })
    const moved = validateConfig(
      { server_name: 'example.org', web_client: { enabled: false, dir: 'web' } },
      BASE,
    )
    expect(moved.ok && moved.value.webClient).toEqual({ enabled: false, dir: `${BASE}/web` })
  })

  it('names the key of a bad value', () => {
    expect(problems({ server_name: 'example.org', web_client: { enabled: 'yes' } })).toEqual([
      'web_client.enabled: expected true or false, got "yes"',
    ])
  })
})

describe('rate_limiting', () => {
  it('overrides each rule separately', () => {
    const config = valid({
      rate_limiting: { enabled: false, message: { per_second: 5 }, login: { burst_count: 1 } },
    })
    expect(config.rateLimiting).toEqual({
      enabled: false,
      rules: {
        login: { perSecond: DEFAULTS.rateLimits.login.perSecond, burstCount: 1 },
        registration: DEFAULTS.rateLimits.registration,
        message: { perSecond: 5, burstCount: DEFAULTS.rateLimits.message.burstCount },
        report: DEFAULTS.rateLimits.report,
        media_upload: DEFAULTS.rateLimits.media_upload,
        url_preview: DEFAULTS.rateLimits.url_preview,
        media_download: DEFAULTS.rateLimits.media_download,
        typing: DEFAULTS.rateLimits.typing,
        presence: DEFAULTS.rateLimits.presence,
        receipt: DEFAULTS.rateLimits.receipt,
        join: DEFAULTS.rateLimits.join,
        leave: DEFAULTS.rateLimits.leave,
        profile: DEFAULTS.rateLimits.profile,
        room_query: DEFAULTS.rateLimits.room_query,
        user_directory: DEFAULTS.rateLimits.user_directory,
        push_settings: DEFAULTS.rateLimits.push_settings,
        key_backup: DEFAULTS.rateLimits.key_backup,
      },
    })
  })

  it('reads a rule for every rate-limited action', () => {
    const rateLimiting: Record<string, unknown> = {}
    RATE_LIMITED_ACTIONS.forEach((action, i) => {
      rateLimiting[action] = { per_second: i + 1, burst_count: 100 + i }
    })
    const { rules } = valid({ rate_limiting: rateLimiting }).rateLimiting
    RATE_LIMITED_ACTIONS.forEach((action, i) => {
      expect(rules[action], action).toEqual({ perSecond: i + 1, burstCount: 100 + i })
    })
    expect(Object.keys(rules).sort()).toEqual([...RATE_LIMITED_ACTIONS].sort())
  })

  it('names the rule of a new action in its problems', () => {
    expect(
      problems({
        rate_limiting: { typing: { per_second: -1 }, key_backup: { burst_count: 0 }, join: 3 },
      }),
    ).toEqual([
      'rate_limiting.typing.per_second: expected a number greater than 0, got -1',
      'rate_limiting.join: expected a mapping with keys per_second, burst_count, got 3',
      'rate_limiting.key_backup.burst_count: expected an integer 1-1000000, got 0',
    ])
  })

  it('needs positive rates and whole bursts', () => {
    expect(
      problems({
        rate_limiting: { enabled: 1, login: { per_second: 0, burst_count: 0.5 }, message: 'fast' },
      }),
    ).toEqual([
      'rate_limiting.enabled: expected true or false, got 1',
      'rate_limiting.login.per_second: expected a number greater than 0, got 0',
      'rate_limiting.login.burst_count: expected an integer 1-1000000, got 0.5',
      'rate_limiting.message: expected a mapping with keys per_second, burst_count, got "fast"',
    ])
  })
})

describe('federation', () => {
  it('reads its keys, resolving CA paths', () => {
    expect(
      valid({
        federation: {
          enabled: false,
          verify_tls: false,
          extra_ca_files: ['ca.pem', '/etc/ca2.pem'],
          allow_private_addresses: true,
          trusted_key_servers: ['matrix.org', 'notary.example:8448'],
        },
      }).federation,
    ).toEqual({
      enabled: false,
      verifyTls: false,
      extraCaFiles: [`${BASE}/ca.pem`, '/etc/ca2.pem'],
      allowPrivateAddresses: true,
      trustedKeyServers: ['matrix.org', 'notary.example:8448'],
    })
  })

  it('trusts no key notary unless told to', () => {
    expect(valid({}).federation.trustedKeyServers).toEqual([])
    expect(
      problems({ federation: { trusted_key_servers: ['matrix.org', 'not a name', 7] } }),
    ).toEqual([
      'federation.trusted_key_servers[2]: expected a non-empty string, got 7',
      "federation.trusted_key_servers[1]: server name has a hostname character other than A-Z, a-z, 0-9, '-' and '.': \"not a name\"",
    ])
    expect(problems({ federation: { trusted_key_servers: 'matrix.org' } })).toEqual([
      'federation.trusted_key_servers: expected a list, got "matrix.org"',
    ])
  })

  it('checks their types', () => {
    expect(
      problems({
        federation: {
          verify_tls: 'no',
          extra_ca_files: ['ok.pem', 3],
          allow_private_addresses: null,
        },
      }),
    ).toEqual([
      'federation.verify_tls: expected true or false, got "no"',
      'federation.extra_ca_files[1]: expected a non-empty string, got 3',
    ])
    expect(problems({ federation: { extra_ca_files: 'ca.pem' } })).toEqual([
      'federation.extra_ca_files: expected a list, got "ca.pem"',
    ])
  })
})

describe('push', () => {
  it('refuses http: gateways by default, and can allow them', () => {
    expect(valid({}).push).toEqual({ allowHttpGateways: false })
    expect(valid({ push: { allow_http_gateways: true } }).push).toEqual({
      allowHttpGateways: true,
    })
    expect(problems({ push: { allow_http_gateways: 1 } })).toEqual([
      'push.allow_http_gateways: expected true or false, got 1',
    ])
  })
})

describe('presence', () => {
  it('is on by default and can be switched off', () => {
    expect(valid({ presence: { enabled: false } }).presence).toEqual({ enabled: false })
    expect(valid({ presence: null }).presence).toEqual({ enabled: true })
  })

  it('checks its key', () => {
    expect(problems({ presence: { enabled: 'yes' } })).toEqual([
      'presence.enabled: expected true or false, got "yes"',
    ])
    expect(problems({ presence: { enable: false } })).toEqual([
      'presence.enable: unknown key (did you mean enabled?)',
    ])
  })
})

describe('media, http, log', () => {
  it('read their keys', () => {
    const config = valid({
      media: { max_upload_size: 1000 },
      http: { max_json_body_size: 2048 },
      log: { level: 'debug', format: 'json' },
    })
    expect(config.media).toEqual({
      maxUploadSize: 1000,
      freezeLegacyMedia: true,
      urlPreviewEnabled: false,
      urlPreviewAllowPrivateAddresses: false,
    })
    expect(config.http).toEqual({ maxJsonBodySize: 2048 })
    expect(config.log).toEqual({ level: 'debug', format: 'json' })
  })

  it('read the media switches', () => {
    const config = valid({
      media: {
        freeze_legacy_media: false,
        url_preview_enabled: true,
        url_preview_allow_private_addresses: true,
      },
    })
    expect(config.media).toEqual({
      maxUploadSize: 52428800,
      freezeLegacyMedia: false,
      urlPreviewEnabled: true,
      urlPreviewAllowPrivateAddresses: true,
    })
    expect(problems({ media: { freeze_legacy_media: 'no', url_preview_enabled: 1 } })).toEqual([
      'media.freeze_legacy_media: expected true or false, got "no"',
      'media.url_preview_enabled: expected true or false, got 1',
    ])
  })

  it('check their ranges', () => {
    expect(problems({ media: { max_upload_size: 0 }, http: { max_json_body_size: 10 } })).toEqual([
      'media.max_upload_size: expected an integer 1-9007199254740991, got 0',
      'http.max_json_body_size: expected an integer 1024-67108864, got 10',
    ])
  })
})
