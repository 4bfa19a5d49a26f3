import { ClientEvent, createClient, MatrixError, SyncState, type MatrixClient } from 'matrix-js-sdk'
import type { Logger } from 'matrix-js-sdk/lib/logger.js'

/** The SDK logs every request and sync; tests see failures as errors, so only warnings print. */
const quietLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (...message: unknown[]) => {
    console.warn('[matrix-js-sdk]', ...message)
  },
  error: (...message: unknown[]) => {
    console.error('[matrix-js-sdk]', ...message)
  },
  getChild: () => quietLogger,
}

export interface Account {
  readonly userId: string
  readonly accessToken: string
  readonly deviceId: string
  readonly password: string
}

/**
 * Registers through the user-interactive m.login.dummy flow, the way a client does: the first
 * request returns 401 with a session, the second completes the stage.
 */
export async function registerAccount(baseUrl: string, username: string): Promise<Account> {
  const anonymous = createClient({ baseUrl, logger: quietLogger })
  const password = `${username}-secret-password`
  let session: string | undefined
  try {
    await anonymous.registerRequest({ username, password })
    throw new Error('registration without an auth stage succeeded: expected 401 with flows')
  } catch (error) {
    if (!(error instanceof MatrixError) || error.httpStatus !== 401) throw error
    const data = error.data as { session?: unknown }
    if (typeof data.session !== 'string') throw new Error('401 without a session')
    session = data.session
  }
  const response = await anonymous.registerRequest({
    username,
    password,
    auth: { type: 'm.login.dummy', session },
  })
  if (response.access_token === undefined || response.device_id === undefined) {
    throw new Error('registration returned no access token or device')
  }
  return {
    userId: response.user_id,
    accessToken: response.access_token,
    deviceId: response.device_id,
    password,
  }
}

/** A client for the account, not yet syncing. */
export function clientFor(baseUrl: string, account: Account): MatrixClient {
  return createClient({
    baseUrl,
    userId: account.userId,
    accessToken: account.accessToken,
    deviceId: account.deviceId,
    logger: quietLogger,
  })
}

/** Starts the client's sync loop and resolves once the initial sync is done. */
export async function startSyncing(client: MatrixClient): Promise<void> {
  const prepared = new Promise<void>((resolve, reject) => {
    const onSync = (
      state: SyncState,
      _previous: SyncState | null,
      data?: { error?: Error },
    ): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync)
        resolve()
      } else if (state === SyncState.Error) {
        client.off(ClientEvent.Sync, onSync)
        reject(data?.error ?? new Error('sync failed'))
      }
    }
    client.on(ClientEvent.Sync, onSync)
  })
  await client.startClient({ initialSyncLimit: 20 })
  await prepared
}

/** Polls `check` until it holds, for state that arrives through sync. */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
