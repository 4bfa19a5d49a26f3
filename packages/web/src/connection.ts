import { SyncState } from 'matrix-js-sdk'

/** Whether the homeserver answers, as far as the client can tell. */
export type Connection = 'connecting' | 'online' | 'unreachable'

export type ConnectionSignal =
  | { readonly kind: 'sync'; readonly state: SyncState | null }
  | { readonly kind: 'request-failed'; readonly error: unknown }

/** True for failures that say nothing reached the server (as opposed to a refusal). */
export function isNetworkFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { name, httpStatus } = error as { name?: unknown; httpStatus?: unknown }
  if (name === 'ConnectionError' || name === 'TypeError') return true
  // A proxy in front of a stopped homeserver answers 502–504 for it.
  return typeof httpStatus === 'number' && httpStatus >= 502 && httpStatus <= 504
}

/**
 * The next connection state. Only a sync that succeeds clears a failure, because one answered
 * request while sync still fails would make the banner flicker.
 */
export function nextConnection(current: Connection, signal: ConnectionSignal): Connection {
  if (signal.kind === 'request-failed') {
    return isNetworkFailure(signal.error) ? 'unreachable' : current
  }
  switch (signal.state) {
    case SyncState.Error:
    case SyncState.Reconnecting:
      return 'unreachable'
    case SyncState.Prepared:
    case SyncState.Syncing:
    case SyncState.Catchup:
      return 'online'
    case SyncState.Stopped:
    case null:
      return current
  }
}

/** The banner shown while the server cannot be reached, or undefined when all is well. */
export function connectionBanner(connection: Connection, server: string): string | undefined {
  if (connection !== 'unreachable') return undefined
  return `Can't reach ${server}. Your messages will be sent when it's back.`
}

/** How to name the homeserver to people: its host, or the URL if it does not parse. */
export function serverLabel(baseUrl: string): string {
  try {
    return new URL(baseUrl).host
  } catch {
    return baseUrl
  }
}
