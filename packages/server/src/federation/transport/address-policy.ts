/**
 * Which addresses federation may connect to. A server name comes from whoever sent us an event or
 * an invite, so without a policy every remote server could make us connect into our own network.
 */
import { isIP, type LookupFunction } from 'node:net'
import { isPublicAddress } from '../../net/public-address.js'
import type { DnsResolver } from './dns-resolver.js'

/** Whether connecting to `address` (an IP literal) is allowed. */
export function isAllowedAddress(address: string, allowPrivateAddresses: boolean): boolean {
  if (isIP(address) === 0) return false
  return allowPrivateAddresses || isPublicAddress(address)
}

/** A connection refused by the policy, told apart from every other connection failure. */
export class RefusedAddressError extends Error {
  readonly code = 'ERR_FEDERATION_ADDRESS_REFUSED'
}

/**
 * A socket `lookup` that answers through `resolver` and leaves out every address the policy
 * refuses. The check runs on the very answer the socket connects to, so a name that resolves to a
 * public address once and a private one the next time (DNS rebinding) cannot get past it.
 */
export function policyLookup(
  resolver: DnsResolver,
  allowPrivateAddresses: boolean,
): LookupFunction {
  return (hostname, options, callback) => {
    void resolver.lookupAddresses(hostname).then((found) => {
      if (!found.ok) {
        callback(Object.assign(new Error(found.error), { code: 'ENOTFOUND' }), '', 0)
        return
      }
      const usable = found.value
        .filter((address) => isAllowedAddress(address, allowPrivateAddresses))
        .map((address) => ({ address, family: isIP(address) }))
        .filter(
          (entry) =>
            options.family === undefined || options.family === 0 || options.family === entry.family,
        )
      const first = usable[0]
      if (first === undefined) {
        const why =
          found.value.length === 0
            ? `${hostname} has no address`
            : `${hostname} has no address that federation may connect to`
        callback(
          found.value.length === 0
            ? Object.assign(new Error(why), { code: 'ENOTFOUND' })
            : new RefusedAddressError(why),
          '',
          0,
        )
        return
      }
      if (options.all === true) {
        // Node's own types give the callback the single-address shape only.
        ;(callback as unknown as (e: null, all: { address: string; family: number }[]) => void)(
          null,
          usable,
        )
      } else {
        callback(null, first.address, first.family)
      }
    })
  }
}
