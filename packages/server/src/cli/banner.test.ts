import { describe, expect, it } from 'vitest'
import type { RunningHomeserver } from '../app/start-homeserver.js'
import type { ListenerConfig } from '../config/config.js'
import { testConfig } from '../testing/test-config.js'
import { startupBanner } from './banner.js'

function server(listeners: ListenerConfig[], raw: Record<string, unknown> = {}): RunningHomeserver {
  return {
    config: testConfig('/srv/data', raw),
    listeners: listeners.map((listener) => {
      const host = listener.bind.includes(':') ? `[${listener.bind}]` : listener.bind
      const scheme = listener.tls === undefined ? 'http' : 'https'
      return { listener, port: listener.port, url: `${scheme}://${host}:${listener.port}/` }
    }),
    close: () => Promise.resolve(),
  }
}

const listener = (
  bind: string,
  port: number,
  extra: Partial<ListenerConfig> = {},
): ListenerConfig => ({
  bind,
  port,
  tls: undefined,
  resources: ['client', 'federation', 'media'],
  xForwarded: false,
  ...extra,
})

const options = { registerCommand: 'npx rhizome register --config h.yaml', loginAvailable: true }

describe('startupBanner', () => {
  it('shows where clients connect, every listener, and how to sign in', () => {
    const text = startupBanner(server([listener('127.0.0.1', 8008)]), options)
    expect(text).toBe(
      [
        'Rhizome is running as example.org.',
        '  Client API:  http://127.0.0.1:8008/',
        '  Listening:   http://127.0.0.1:8008/ (client, federation, media)',
        '  Federation:  on',
        '  Data:        /srv/data',
        'To log in, point a Matrix client (such as Element) at http://127.0.0.1:8008/ and sign in there.',
        'Create an account with: npx rhizome register --config h.yaml --user NAME --password PASSWORD',
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    )
  })

  it('prefers public_baseurl, shows wildcard binds as localhost, warns about open registration', () => {
    const tls = { certificatePath: 'c', keyPath: 'k' }
    const wildcard = startupBanner(
      server([listener('::', 8448, { tls })], { registration: { enabled: true } }),
      options,
    )
    expect(wildcard).toContain('Client API:  https://localhost:8448/')
    expect(wildcard).toContain('Listening:   https://[::]:8448/')
    expect(wildcard).toContain('Warning: registration is open')
    expect(wildcard).toContain('or register from the client.')
    const public_ = startupBanner(
      server([listener('0.0.0.0', 8008)], { public_baseurl: 'https://m.example.org' }),
      options,
    )
    expect(public_).toContain('Client API:  https://m.example.org/')
    const tokens = startupBanner(
      server([listener('0.0.0.0', 8008)], {
        registration: { enabled: true, registration_token_required: true },
      }),
      options,
    )
    expect(tokens).not.toContain('Warning')
  })

  it('says when no listener serves clients, and when login is not built', () => {
    const text = startupBanner(
      server([listener('127.0.0.1', 8448, { resources: ['federation'] })]),
      {
        ...options,
        loginAvailable: false,
      },
    )
    expect(text).not.toContain('Client API')
    expect(text).toContain('Accounts are not built yet')
    expect(text).not.toContain('To log in')
  })

  it('says "this server" when it has no client URL to give', () => {
    const text = startupBanner(
      server([listener('127.0.0.1', 8448, { resources: ['federation'] })]),
      options,
    )
    expect(text).toContain('at this server and sign in there.')
  })
})
