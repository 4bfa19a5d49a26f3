import { BlockList, isIP } from 'node:net'

/**
 * Addresses the server must never reach on someone else's say-so (a URL to preview, a remote
 * server name): this host, private and carrier-grade NAT networks, link-local, multicast,
 * documentation and reserved ranges, in both families (with the IPv6 forms that embed an IPv4
 * address). Otherwise every user, or every remote server, could make the server connect into the
 * network it sits in.
 */
// One list per family: a single list would also match IPv4 addresses against the IPv6
// ::ffff:0:0/96 rule, and so refuse every IPv4 address.
const NON_PUBLIC_V4 = new BlockList()
const NON_PUBLIC_V6 = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC_V4.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC_V6.addSubnet(network, prefix, 'ipv6')
}

/** Whether `address` (an IP literal) is on the public internet; anything else is refused. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return !NON_PUBLIC_V4.check(address, 'ipv4')
  if (family === 6) return !NON_PUBLIC_V6.check(address, 'ipv6')
  return false
}
