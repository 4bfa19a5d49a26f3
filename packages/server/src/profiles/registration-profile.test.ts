/**
 * The profile every new account starts with: its localpart as display name, or the name that
 * shared-secret registration (Synapse's admin API) was given.
 */
import { describe, expect, it } from 'vitest'
import { AccountService } from '../accounts/account-service.js'
import { SharedSecretRegistration, sharedSecretMac } from '../admin/shared-secret-registration.js'
import { noRateLimits } from '../rate-limit/rate-limiter.js'
import type { Storage } from '../storage/interface.js'
import { TEST_HASHER } from '../testing/account-test-server.js'
import { SERVER_NAME, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { testConfig } from '../testing/test-config.js'

const SECRET = 'the shared secret'

function accountsOn(storage: Storage): AccountService {
  const config = testConfig('/nonexistent/rhizome-profile-registration', {
    registration: { enabled: true },
  })
  return new AccountService({
    serverName: SERVER_NAME,
    registration: config.registration,
    accounts: storage.accounts,
    uiaSessions: storage.uiaSessions,
    rateLimiter: noRateLimits,
    now: Date.now,
    hasher: TEST_HASHER,
  })
}

for (const kind of roomTestStorages()) {
  describe(`profiles of new accounts on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('names an account after its localpart unless told otherwise', async () => {
      const storage = await open()
      const accounts = accountsOn(storage)
      for (const [localpart, displayName, expected] of [
        ['plain', undefined, 'plain'],
        ['named', 'Named Person', 'Named Person'],
        ['blank', '', 'blank'],
      ] as const) {
        const created = await accounts.createAccount({
          userId: userId(localpart),
          password: undefined,
          displayName,
        })
        expect(created.ok).toBe(true)
        expect((await storage.profiles.getProfile(userId(localpart)))?.displayname).toBe(expected)
      }
    })

    it('gives shared-secret registrations the display name they carry', async () => {
      const storage = await open()
      const accounts = accountsOn(storage)
      const registration = new SharedSecretRegistration(SECRET, accounts)
      for (const [username, displayName, expected] of [
        ['boss', 'The Boss', 'The Boss'],
        ['worker', undefined, 'worker'],
      ] as const) {
        const nonce = await registration.createNonce()
        if (!nonce.ok) throw new Error(nonce.error.error)
        const registered = await registration.register(
          {
            nonce: nonce.value,
            username,
            password: 'pw',
            admin: false,
            mac: sharedSecretMac(SECRET, nonce.value, username, 'pw', false),
            inhibitLogin: true,
            displayName,
          },
          { ip: '127.0.0.1' },
        )
        expect(registered.ok).toBe(true)
        expect((await storage.profiles.getProfile(userId(username)))?.displayname).toBe(expected)
      }
    })
  })
}
