import type { Config } from '../config/config.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import type { Storage } from '../storage/interface.js'
import { AccountService, type AccountServiceOptions } from './account-service.js'

/**
 * The accounts service of a server with this configuration and database: the one the HTTP API
 * uses, and the one `rhizome register` uses, so both create accounts the same way.
 */
export function createAccountService(
  config: Config,
  storage: Storage,
  rateLimiter: RateLimiter,
  now: () => number,
  extras: Pick<
    AccountServiceOptions,
    'deviceActivity' | 'afterDeactivation' | 'afterDevicesDeleted' | 'afterDeviceRenamed'
  > = {},
): AccountService {
  return new AccountService({
    serverName: config.serverName,
    registration: config.registration,
    accounts: storage.accounts,
    uiaSessions: storage.uiaSessions,
    rateLimiter,
    now,
    ...extras,
  })
}
