import { accountDataContract } from './account-data.contract.js'
import { accountsContract } from './accounts.contract.js'
import { durabilityContract } from './durability.contract.js'
import { eventsContract } from './events.contract.js'
import type { StorageHarness } from './harness.js'
import { multiProcessContract } from './multi-process.contract.js'
import { stateContract } from './state.contract.js'
import { streamsContract } from './streams.contract.js'
import { timelineContract } from './timeline.contract.js'

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
}
