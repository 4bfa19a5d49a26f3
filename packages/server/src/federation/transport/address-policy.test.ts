import type { LookupAddress } from 'node:dns'
import { err, ok, type Result } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { isAllowedAddress, policyLookup, RefusedAddressError } from './address-policy.js'
import type { DnsResolver } from './dns-resolver.js'

const REFUSED = [
  '127.0.0.1',
  '::1',
  '10.1.2.3',
  '172.20.0.1',
  '192.168.0.10',
  '169.254.169.254',
  'fe80::1',
  'fc00::1',
  'fd12:3456::1',
  '100.64.0.1',
  '224.0.0.251',
  'ff02::1',
  '0.0.0.0',
  '::',
  '::ffff:127.0.0.1',
]
const PUBLIC = ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']

describe('isAllowedAddress', () => {
  it('refuses private, loopback, link-local, unique-local, CGNAT, multicast and unspecified', () => {
    for (const address of REFUSED)
      expect([address, isAllowedAddress(address, false)]).toEqual([address, false])
    for (const address of PUBLIC) expect(isAllowedAddress(address, false)).toBe(true)
  })

  it('allows every address when private addresses are allowed, but never a non-address', () => {
    for (const address of [...REFUSED, ...PUBLIC])
      expect(isAllowedAddress(address, true)).toBe(true)
    expect(isAllowedAddress('example.org', true)).toBe(false)
  })
})

function resolverOf(answers: Record<string, readonly string[] | 'fail'>): DnsResolver {
  return {
    resolveSrv: () => Promise.resolve(ok([])),
    lookupAddresses(hostname): Promise<Result<readonly string[], string>> {
      const answer = answers[hostname] ?? []
      return Promise.resolve(answer === 'fail' ? err('SERVFAIL') : ok(answer))
    },
  }
}

function lookupAll(
  lookup: ReturnType<typeof policyLookup>,
  hostname: string,
): Promise<{ error: NodeJS.ErrnoException | null; addresses: LookupAddress[] }> {
  return new Promise((resolve) => {
    lookup(hostname, { all: true }, (error, addresses) => {
      resolve({ error, addresses: error === null ? (addresses as unknown as LookupAddress[]) : [] })
    })
  })
}

function lookupOne(
  lookup: ReturnType<typeof policyLookup>,
  hostname: string,
  family?: number,
): Promise<{ error: NodeJS.ErrnoException | null; address: string; family: number }> {
  return new Promise((resolve) => {
    lookup(hostname, family === undefined ? {} : { family }, (error, address, fam) => {
      resolve({ error, address: address as string, family: fam ?? 0 })
    })
  })
}

describe('policyLookup', () => {
  const dns = resolverOf({
    'mixed.example': ['10.0.0.1', '8.8.8.8', '::1', '2606:4700:4700::1111'],
    'private.example': ['127.0.0.1', '192.168.1.1'],
    'broken.example': 'fail',
  })

  it('leaves the refused addresses out of the answer the socket uses', async () => {
    const lookup = policyLookup(dns, false)
    const all = await lookupAll(lookup, 'mixed.example')
    expect(all.error).toBeNull()
    expect(all.addresses).toEqual([
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ])
    expect(await lookupOne(lookup, 'mixed.example')).toEqual({
      error: null,
      address: '8.8.8.8',
      family: 4,
    })
    expect((await lookupOne(lookup, 'mixed.example', 6)).address).toBe('2606:4700:4700::1111')
  })

  it('fails with RefusedAddressError when only refused addresses remain', async () => {
    const result = await lookupAll(policyLookup(dns, false), 'private.example')
    expect(result.error).toBeInstanceOf(RefusedAddressError)
  })

  it('passes every address when private addresses are allowed', async () => {
    const result = await lookupAll(policyLookup(dns, true), 'private.example')
    expect(result.addresses.map((a) => a.address)).toEqual(['127.0.0.1', '192.168.1.1'])
  })

  it('reports names without addresses and DNS failures as lookup errors', async () => {
    const lookup = policyLookup(dns, false)
    const missing = await lookupAll(lookup, 'missing.example')
    expect(missing.error?.code).toBe('ENOTFOUND')
    expect(missing.error).not.toBeInstanceOf(RefusedAddressError)
    expect((await lookupAll(lookup, 'broken.example')).error?.code).toBe('ENOTFOUND')
  })
})
