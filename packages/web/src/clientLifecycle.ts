import {
  ClientEvent,
  MatrixScheduler,
  PendingEventOrdering,
  SyncState,
  createClient,
  type MatrixClient,
} from 'matrix-js-sdk'
import type { Session } from './session'

export interface StartedClient {
  readonly client: MatrixClient
  /** Why end-to-end encryption is off, or undefined when it is on. */
  readonly cryptoProblem: string | undefined
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Creates a client for the session, sets up end-to-end encryption and starts syncing.
 * The SDK's own send queue and retries are off: the outbox sends in order and retries with the
 * same transaction IDs.
 */
export async function startMatrixClient(session: Session): Promise<StartedClient> {
  const client = createClient({
    baseUrl: session.baseUrl,
    userId: session.userId,
    deviceId: session.deviceId,
    accessToken: session.accessToken,
    // Never retry and never queue: the SDK's queue pauses while sync is failing and would hold
    // an outbox send indefinitely.
    scheduler: new MatrixScheduler(
      () => -1,
      () => null,
    ),
  })
  let cryptoProblem: string | undefined
  try {
    await client.initRustCrypto()
  } catch (error) {
    cryptoProblem = describe(error)
  }
  if (cryptoProblem !== undefined && /match/i.test(cryptoProblem)) {
    // Keys left behind by an earlier device of this browser; this device cannot use them.
    await client.clearStores()
    try {
      await client.initRustCrypto()
      cryptoProblem = undefined
    } catch (error) {
      cryptoProblem = describe(error)
    }
  }
  await client.startClient({
    initialSyncLimit: 30,
    lazyLoadMembers: true,
    pendingEventOrdering: PendingEventOrdering.Detached,
  })
  return { client, cryptoProblem }
}

/** Resolves once the first sync has finished, so the room list is not empty by accident. */
export function firstSync(client: MatrixClient): Promise<void> {
  const state = client.getSyncState()
  if (state === SyncState.Prepared || state === SyncState.Syncing) return Promise.resolve()
  return new Promise((resolve) => {
    const onSync = (next: SyncState): void => {
      if (next === SyncState.Prepared || next === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync)
        resolve()
      }
    }
    client.on(ClientEvent.Sync, onSync)
  })
}

/** Logs the device out and wipes its local stores, including the encryption keys. */
export async function signOut(client: MatrixClient): Promise<void> {
  try {
    await client.logout(true)
  } finally {
    client.stopClient()
    await client.clearStores()
  }
}
