import { lookup, Resolver } from 'node:dns/promises'
import { err, ok, type Result } from '@rhizome/core'

export interface SrvRecord {
  readonly name: string
  readonly port: number
  readonly priority: number
  readonly weight: number
}

/**
 * The DNS questions server discovery asks. Injected so that tests can answer them without a DNS
 * server; a name that does not exist is an answer (an empty list), not a failure.
 */
export interface DnsResolver {
  /** The SRV records of `name`; empty when the name has none. */
  resolveSrv(name: string): Promise<Result<readonly SrvRecord[], string>>
  /** The IPv4 and IPv6 addresses of `hostname`, CNAMEs followed; empty when it has none. */
  lookupAddresses(hostname: string): Promise<Result<readonly string[], string>>
}

/** DNS answers that mean "no such record" rather than "DNS is not working". */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'EAI_NONAME', 'EAI_NODATA'])

/**
 * The system's DNS: SRV records through a c-ares Resolver, addresses through getaddrinfo, so that
 * /etc/hosts and the system's resolver order apply as they do for every other program on the host.
 */
export function systemDnsResolver(): DnsResolver {
  const resolver = new Resolver()
  return {
    async resolveSrv(name) {
      try {
        return ok(await resolver.resolveSrv(name))
      } catch (e) {
        return noRecordOrFailure(e, `SRV lookup of ${name}`)
      }
    },
    async lookupAddresses(hostname) {
      try {
        const found = await lookup(hostname, { all: true, verbatim: true })
        return ok(found.map((entry) => entry.address))
      } catch (e) {
        return noRecordOrFailure(e, `address lookup of ${hostname}`)
      }
    },
  }
}

function noRecordOrFailure(e: unknown, what: string): Result<readonly never[], string> {
  const code = (e as { code?: unknown } | null)?.code
  if (typeof code === 'string' && NO_RECORD.has(code)) return ok([])
  return err(`${what} failed: ${e instanceof Error ? e.message : String(e)}`)
}
