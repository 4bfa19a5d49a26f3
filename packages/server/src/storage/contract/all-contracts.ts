import { accountDataContract } from './account-data.contract.js'
import { accountsContract } from './accounts.contract.js'
import { deviceTokensContract } from './device-tokens.contract.js'
import { durabilityContract } from './durability.contract.js'
import { eventsContract } from './events.contract.js'
import { forgottenRoomsContract } from './forgotten-rooms.contract.js'
import type { StorageHarness } from './harness.js'
import { multiProcessContract } from './multi-process.contract.js'
import { stateContract } from './state.contract.js'
import { roomAliasesContract } from './room-aliases.contract.js'
import { streamsContract } from './streams.contract.js'
import { syncStoreContract } from './sync-store.contract.js'
import { timelineContract } from './timeline.contract.js'
import { uiaSessionsContract } from './uia-sessions.contract.js'

/** Every contract, for a dialect's test file to run against its harness. */
export function runStorageContracts(harness: StorageHarness): void {
  eventsContract(harness)
  stateContract(harness)
  timelineContract(harness)
  streamsContract(harness)
  accountsContract(harness)
  accountDataContract(harness)
  durabilityContract(harness)
  multiProcessContract(harness)
  syncStoreContract(harness)
  uiaSessionsContract(harness)
  deviceTokensContract(harness)
  roomAliasesContract(harness)
  forgottenRoomsContract(harness)
}
