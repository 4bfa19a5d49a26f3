import { MatrixEventEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk'
import { clientFor, startSyncing, type Account } from './matrix-clients.js'

/**
 * What the end-to-end encryption suites share: matrix-js-sdk clients with Rust crypto under
 * Node, new devices of an account, and waiting for events and their cleartext.
 */

/** A client with Rust crypto in memory (Node has no IndexedDB), syncing. */
export async function cryptoClient(baseUrl: string, account: Account): Promise<MatrixClient> {
  const client = clientFor(baseUrl, account)
  await client.initRustCrypto({ useIndexedDB: false })
  await startSyncing(client)
  return client
}

/** The account logged in again on a new device with this ID. */
export async function loginDevice(
  baseUrl: string,
  account: Account,
  deviceId: string,
): Promise<Account> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: account.userId },
      password: account.password,
      device_id: deviceId,
    }),
  })
  if (response.status !== 200) throw new Error(`login failed with ${String(response.status)}`)
  const body = (await response.json()) as { access_token: string; device_id: string }
  return { ...account, accessToken: body.access_token, deviceId: body.device_id }
}

export function findEvent(
  client: MatrixClient,
  roomId: string,
  eventId: string,
): MatrixEvent | undefined {
  return client
    .getRoom(roomId)
    ?.getLiveTimeline()
    .getEvents()
    .find((e) => e.getId() === eventId)
}

/** The event's cleartext once the client has decrypted it (or failed to: then it throws). */
export async function decrypted(
  client: MatrixClient,
  event: MatrixEvent,
): Promise<Record<string, unknown>> {
  await client.decryptEventIfNeeded(event)
  if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) {
    await new Promise<void>((resolve) => {
      event.once(MatrixEventEvent.Decrypted, () => {
        resolve()
      })
    })
  }
  if (event.isDecryptionFailure()) {
    throw new Error(`decryption failed: ${event.decryptionFailureReason}`)
  }
  return event.getClearContent() ?? {}
}

/** Polls an async check until it holds. */
export async function eventuallyAsync(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
