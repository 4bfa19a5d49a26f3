import { accountDataContract } from './account-data.contract.js'
import { accountDataUpdateContract } from './account-data-update.contract.js'
import { accountsContract } from './accounts.contract.js'
import { backfillContract } from './backfill.contract.js'
import { deviceTokensContract } from './device-tokens.contract.js'
import { durabilityContract } from './durability.contract.js'
import { eventsContract } from './events.contract.js'
import { federatedE2eeContract } from './federated-e2ee.contract.js'
import { federationQueueContract } from './federation-queue.contract.js'
import { forgottenRoomsContract } from './forgotten-rooms.contract.js'
import type { StorageHarness } from './harness.js'
import { multiProcessContract } from './multi-process.contract.js'
import { pushContract } from './push.contract.js'
import { receiptsContract } from './receipts.contract.js'
import { reportsContract } from './reports.contract.js'
import { remoteKeysContract } from './remote-keys.contract.js'
import { keyBackupContract } from './key-backup.contract.js'
import { e2eKeysContract } from './e2e-keys.contract.js'
import { outliersContract } from './outliers.contract.js'
import { outOfBandMembershipsContract } from './out-of-band-memberships.contract.js'
import { mediaContract } from './media.contract.js'
import { remoteMediaContract } from './remote-media.contract.js'
import { remoteDeviceListsContract } from './remote-device-lists.contract.js'
import { pushersContract } from './pushers.contract.js'
import { relationsContract } from './relations.contract.js'
import { searchContract } from './search.contract.js'
import { presenceContract } from './presence.contract.js'
import { stateContract } from './state.contract.js'
import { roomAliasesContract } from './room-aliases.contract.js'
import { profilesContract } from './profiles.contract.js'
import { roomDirectoryContract } from './room-directory.contract.js'
import { streamsContract } from './streams.contract.js'
import { syncStoreContract } from './sync-store.contract.js'
import { timelineContract } from './timeline.contract.js'
import { typingContract } from './typing.contract.js'
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
  receiptsContract(harness)
  pushContract(harness)
  relationsContract(harness)
  searchContract(harness)
  profilesContract(harness)
  roomDirectoryContract(harness)
  typingContract(harness)
  presenceContract(harness)
  accountDataUpdateContract(harness)
  reportsContract(harness)
  remoteKeysContract(harness)
  keyBackupContract(harness)
  e2eKeysContract(harness)
  outliersContract(harness)
  backfillContract(harness)
  outOfBandMembershipsContract(harness)
  pushersContract(harness)
  mediaContract(harness)
  remoteMediaContract(harness)
  federationQueueContract(harness)
  federatedE2eeContract(harness)
  remoteDeviceListsContract(harness)
}
