import { err, ok, type Result, type ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { DnsResolver, SrvRecord } from './dns-resolver.js'
import { orderSrv, ServerDiscovery } from './server-discovery.js'
import type { WellKnownResponse } from './well-known.js'

const MINUTE = 60_000

/** DNS that answers from tables and records what it was asked. */
class FakeDns implements DnsResolver {
  readonly srv = new Map<string, readonly SrvRecord[] | 'fail'>()
  readonly hosts = new Map<string, readonly string[] | 'fail'>()
  readonly asked: string[] = []

  resolveSrv(name: string): Promise<Result<readonly SrvRecord[], string>> {
    this.asked.push(`SRV ${name}`)
    const answer = this.srv.get(name) ?? []
    return Promise.resolve(answer === 'fail' ? err('SERVFAIL') : ok(answer))
  }

  lookupAddresses(hostname: string): Promise<Result<readonly string[], string>> {
    this.asked.push(`A ${hostname}`)
    const answer = this.hosts.get(hostname) ?? []
    return Promise.resolve(answer === 'fail' ? err('SERVFAIL') : ok(answer))
  }
}

/** `/.well-known/matrix/server` answers by hostname; unknown hosts fail to connect. */
class FakeWellKnown {
  readonly answers = new Map<string, Result<WellKnownResponse, string>>()
  readonly fetched: string[] = []
  readonly fetch = (hostname: string): Promise<Result<WellKnownResponse, string>> => {
    this.fetched.push(hostname)
    return Promise.resolve(this.answers.get(hostname) ?? err('connection refused'))
  }

  delegate(hostname: string, to: string, cacheControl?: string): void {
    this.answers.set(
      hostname,
      ok({
        status: 200,
        body: JSON.stringify({ 'm.server': to }),
        ...(cacheControl === undefined ? {} : { cacheControl }),
      }),
    )
  }
}

function setup(): {
  dns: FakeDns
  wellKnown: FakeWellKnown
  clock: { now: number }
  discovery: ServerDiscovery
} {
  const dns = new FakeDns()
  const wellKnown = new FakeWellKnown()
  const clock = { now: 1_000_000 }
  const discovery = new ServerDiscovery({
    resolver: dns,
    fetchWellKnown: wellKnown.fetch,
    now: () => clock.now,
    random: () => 0,
  })
  return { dns, wellKnown, clock, discovery }
}

const name = (s: string): ServerName => s as ServerName

describe('ServerDiscovery: step 1, IP literals', () => {
  it('uses an IPv4 literal with port 8448, no SNI, Host the server name', async () => {
    const { dns, wellKnown, discovery } = setup()
    expect(await discovery.resolve(name('203.0.113.7'))).toEqual(
      ok({
        targets: [{ address: '203.0.113.7', port: 8448 }],
        host: '203.0.113.7',
        tlsServerName: undefined,
      }),
    )
    expect(dns.asked).toEqual([])
    expect(wellKnown.fetched).toEqual([])
  })

  it('keeps an explicit port, and unbrackets IPv6', async () => {
    const { discovery } = setup()
    expect(await discovery.resolve(name('203.0.113.7:1234'))).toEqual(
      ok({
        targets: [{ address: '203.0.113.7', port: 1234 }],
        host: '203.0.113.7:1234',
        tlsServerName: undefined,
      }),
    )
    expect(await discovery.resolve(name('[2001:db8::1]:8449'))).toEqual(
      ok({
        targets: [{ address: '2001:db8::1', port: 8449 }],
        host: '[2001:db8::1]:8449',
        tlsServerName: undefined,
      }),
    )
  })
})

describe('ServerDiscovery: step 2, hostname with a port', () => {
  it('resolves addresses and keeps the port, without /.well-known', async () => {
    const { dns, wellKnown, discovery } = setup()
    dns.hosts.set('matrix.example', ['198.51.100.1', '2001:db8::2'])
    expect(await discovery.resolve(name('matrix.example:8000'))).toEqual(
      ok({
        targets: [
          { address: '198.51.100.1', port: 8000 },
          { address: '2001:db8::2', port: 8000 },
        ],
        host: 'matrix.example:8000',
        tlsServerName: 'matrix.example',
      }),
    )
    expect(wellKnown.fetched).toEqual([])
    expect(dns.asked).toEqual(['A matrix.example'])
  })

  it('fails when the hostname has no address, or DNS fails', async () => {
    const { dns, discovery } = setup()
    expect((await discovery.resolve(name('nowhere.example:8000'))).ok).toBe(false)
    dns.hosts.set('broken.example', 'fail')
    expect((await discovery.resolve(name('broken.example:8000'))).ok).toBe(false)
  })
})

describe('ServerDiscovery: step 3, /.well-known delegation', () => {
  it('3.1: a delegated IP literal is used as it is, Host the delegated name', async () => {
    const { dns, wellKnown, discovery } = setup()
    wellKnown.delegate('example.org', '198.51.100.9:7000')
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.9', port: 7000 }],
        host: '198.51.100.9:7000',
        tlsServerName: undefined,
      }),
    )
    wellKnown.delegate('v6.example', '[2001:db8::9]')
    expect(await discovery.resolve(name('v6.example'))).toEqual(
      ok({
        targets: [{ address: '2001:db8::9', port: 8448 }],
        host: '[2001:db8::9]',
        tlsServerName: undefined,
      }),
    )
    expect(dns.asked).toEqual([])
  })

  it('3.2: a delegated hostname with a port is resolved, Host and SNI from the delegation', async () => {
    const { dns, wellKnown, discovery } = setup()
    wellKnown.delegate('example.org', 'matrix.host.example:443')
    dns.hosts.set('matrix.host.example', ['198.51.100.2'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.2', port: 443 }],
        host: 'matrix.host.example:443',
        tlsServerName: 'matrix.host.example',
      }),
    )
    // No SRV lookup when the delegation has a port.
    expect(dns.asked).toEqual(['A matrix.host.example'])
  })

  it('3.3: a delegated hostname without a port is looked up as _matrix-fed._tcp', async () => {
    const { dns, wellKnown, discovery } = setup()
    wellKnown.delegate('example.org', 'delegated.example')
    dns.srv.set('_matrix-fed._tcp.delegated.example', [
      { name: 'fed.host.example', port: 8443, priority: 10, weight: 0 },
    ])
    dns.hosts.set('fed.host.example', ['198.51.100.3'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.3', port: 8443 }],
        host: 'delegated.example',
        tlsServerName: 'delegated.example',
      }),
    )
    expect(dns.asked).toEqual(['SRV _matrix-fed._tcp.delegated.example', 'A fed.host.example'])
    // Delegation is one step: the delegated name's own /.well-known is never asked.
    expect(wellKnown.fetched).toEqual(['example.org'])
  })

  it('3.4: then the deprecated _matrix._tcp', async () => {
    const { dns, wellKnown, discovery } = setup()
    wellKnown.delegate('example.org', 'delegated.example')
    dns.srv.set('_matrix._tcp.delegated.example', [
      { name: 'old.host.example.', port: 8999, priority: 0, weight: 0 },
    ])
    dns.hosts.set('old.host.example', ['198.51.100.4'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.4', port: 8999 }],
        host: 'delegated.example',
        tlsServerName: 'delegated.example',
      }),
    )
    expect(dns.asked).toEqual([
      'SRV _matrix-fed._tcp.delegated.example',
      'SRV _matrix._tcp.delegated.example',
      'A old.host.example',
    ])
  })

  it('3.5: then the delegated hostname on port 8448', async () => {
    const { dns, wellKnown, discovery } = setup()
    wellKnown.delegate('example.org', 'delegated.example')
    dns.hosts.set('delegated.example', ['198.51.100.5'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.5', port: 8448 }],
        host: 'delegated.example',
        tlsServerName: 'delegated.example',
      }),
    )
  })
})

describe('ServerDiscovery: steps 4-6, no delegation', () => {
  for (const [why, answer] of [
    ['a connection failure', err('connection refused')],
    ['a 404', ok({ status: 404, body: '' })],
    ['a body that is not JSON', ok({ status: 200, body: '<html>' })],
    ['a JSON body without m.server', ok({ status: 200, body: '{"m.homeserver":"x"}' })],
    ['an invalid m.server', ok({ status: 200, body: '{"m.server":"no spaces allowed"}' })],
  ] as const) {
    it(`4: after ${why}, SRV _matrix-fed._tcp of the server name itself`, async () => {
      const { dns, wellKnown, discovery } = setup()
      wellKnown.answers.set('example.org', answer)
      dns.srv.set('_matrix-fed._tcp.example.org', [
        { name: 'fed.example.net', port: 443, priority: 1, weight: 1 },
      ])
      dns.hosts.set('fed.example.net', ['2001:db8::44'])
      expect(await discovery.resolve(name('example.org'))).toEqual(
        ok({
          targets: [{ address: '2001:db8::44', port: 443 }],
          host: 'example.org',
          tlsServerName: 'example.org',
        }),
      )
    })
  }

  it('5: then the deprecated _matrix._tcp of the server name', async () => {
    const { dns, discovery } = setup()
    dns.srv.set('_matrix._tcp.example.org', [
      { name: 'legacy.example.net', port: 8448, priority: 1, weight: 1 },
    ])
    dns.hosts.set('legacy.example.net', ['198.51.100.6'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.6', port: 8448 }],
        host: 'example.org',
        tlsServerName: 'example.org',
      }),
    )
  })

  it('6: then the server name itself on port 8448', async () => {
    const { dns, discovery } = setup()
    dns.hosts.set('example.org', ['198.51.100.7', '198.51.100.8'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [
          { address: '198.51.100.7', port: 8448 },
          { address: '198.51.100.8', port: 8448 },
        ],
        host: 'example.org',
        tlsServerName: 'example.org',
      }),
    )
    expect(dns.asked).toEqual([
      'SRV _matrix-fed._tcp.example.org',
      'SRV _matrix._tcp.example.org',
      'A example.org',
    ])
  })

  it('fails when nothing resolves, when SRV lookup itself fails, or on a "." SRV target', async () => {
    const { dns, discovery } = setup()
    expect((await discovery.resolve(name('example.org'))).ok).toBe(false)

    dns.srv.set('_matrix-fed._tcp.servfail.example', 'fail')
    dns.hosts.set('servfail.example', ['198.51.100.1'])
    expect((await discovery.resolve(name('servfail.example'))).ok).toBe(false)

    dns.srv.set('_matrix-fed._tcp.none.example', [{ name: '.', port: 0, priority: 0, weight: 0 }])
    dns.hosts.set('none.example', ['198.51.100.1'])
    expect((await discovery.resolve(name('none.example'))).ok).toBe(false)
  })

  it('skips SRV targets without an address, and fails if none has one', async () => {
    const { dns, discovery } = setup()
    dns.srv.set('_matrix-fed._tcp.example.org', [
      { name: 'gone.example.net', port: 1, priority: 1, weight: 0 },
      { name: 'here.example.net', port: 2, priority: 2, weight: 0 },
    ])
    dns.hosts.set('here.example.net', ['198.51.100.2'])
    expect(await discovery.resolve(name('example.org'))).toEqual(
      ok({
        targets: [{ address: '198.51.100.2', port: 2 }],
        host: 'example.org',
        tlsServerName: 'example.org',
      }),
    )
    dns.hosts.delete('here.example.net')
    expect((await discovery.resolve(name('example.org'))).ok).toBe(false)
  })
})

describe('ServerDiscovery: the /.well-known cache', () => {
  it('reuses a delegation for its lifetime, then asks again', async () => {
    const { dns, wellKnown, clock, discovery } = setup()
    wellKnown.delegate('example.org', '198.51.100.9:7000', 'max-age=3600')
    await discovery.resolve(name('example.org'))
    clock.now += 59 * MINUTE
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toEqual(['example.org'])

    clock.now += 2 * MINUTE
    wellKnown.answers.delete('example.org')
    dns.hosts.set('example.org', ['198.51.100.1'])
    const after = await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toEqual(['example.org', 'example.org'])
    expect(after.ok && after.value.targets).toEqual([{ address: '198.51.100.1', port: 8448 }])
  })

  it('remembers failures with an exponential back-off, reset by a success', async () => {
    const { dns, wellKnown, clock, discovery } = setup()
    dns.hosts.set('example.org', ['198.51.100.1'])
    await discovery.resolve(name('example.org'))
    clock.now += 9 * MINUTE
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(1)

    clock.now += 2 * MINUTE // 11 minutes: the first failure (10 min) has expired
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(2)
    clock.now += 15 * MINUTE // the second failure is kept 20 minutes
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(2)
    clock.now += 6 * MINUTE
    wellKnown.delegate('example.org', '198.51.100.9', 'max-age=600')
    const delegated = await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(3)
    expect(delegated.ok && delegated.value.host).toBe('198.51.100.9')

    clock.now += 11 * MINUTE
    wellKnown.answers.delete('example.org')
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(4)
    clock.now += 11 * MINUTE // back to the first step of the back-off
    await discovery.resolve(name('example.org'))
    expect(wellKnown.fetched).toHaveLength(5)
  })

  it('treats a fetcher that throws as a failed request', async () => {
    const dns = new FakeDns()
    dns.hosts.set('example.org', ['198.51.100.1'])
    const discovery = new ServerDiscovery({
      resolver: dns,
      fetchWellKnown: () => Promise.reject(new Error('boom')),
    })
    const result = await discovery.resolve(name('example.org'))
    expect(result.ok && result.value.targets).toEqual([{ address: '198.51.100.1', port: 8448 }])
  })

  it('sends one request for many concurrent resolutions of one name', async () => {
    const dns = new FakeDns()
    let calls = 0
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const discovery = new ServerDiscovery({
      resolver: dns,
      fetchWellKnown: async () => {
        calls++
        await gate
        return ok({ status: 200, body: '{"m.server":"198.51.100.9"}' })
      },
    })
    const pending = [1, 2, 3].map(() => discovery.resolve(name('example.org')))
    release()
    const results = await Promise.all(pending)
    expect(calls).toBe(1)
    for (const result of results) expect(result.ok && result.value.host).toBe('198.51.100.9')
  })

  it('keeps at most maxCachedHosts names, forgetting the oldest', async () => {
    const dns = new FakeDns()
    const wellKnown = new FakeWellKnown()
    const discovery = new ServerDiscovery({
      resolver: dns,
      fetchWellKnown: wellKnown.fetch,
      maxCachedHosts: 2,
    })
    for (const host of ['a.example', 'b.example', 'c.example', 'b.example', 'a.example']) {
      wellKnown.delegate(host, '198.51.100.9')
      await discovery.resolve(name(host))
    }
    expect(wellKnown.fetched).toEqual(['a.example', 'b.example', 'c.example', 'a.example'])
    discovery.clearCache()
    await discovery.resolve(name('b.example'))
    expect(wellKnown.fetched).toHaveLength(5)
  })
})

describe('orderSrv', () => {
  it('puts lower priorities first and picks by weight within one', () => {
    const records: SrvRecord[] = [
      { name: 'late', port: 1, priority: 20, weight: 100 },
      { name: 'light', port: 1, priority: 10, weight: 1 },
      { name: 'heavy', port: 1, priority: 10, weight: 98 },
    ]
    // random() = 0 picks the first record of the remaining group; 0.99 picks the last.
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['light', 'heavy', 'late'])
    expect(orderSrv(records, () => 0.99).map((r) => r.name)).toEqual(['heavy', 'light', 'late'])
    // 1/100 of the weight lies with "light": a draw of 0.5 lands on "heavy".
    expect(orderSrv(records, () => 0.5)[0]?.name).toBe('heavy')
  })
})
