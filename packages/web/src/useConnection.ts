import { ClientEvent, SyncState, type MatrixClient } from 'matrix-js-sdk'
import { useCallback, useEffect, useState } from 'react'
import { nextConnection, type Connection } from './connection'

export interface ConnectionHandle {
  readonly connection: Connection
  /** Tells the banner about a request that failed, so it shows before sync notices. */
  readonly onRequestFailed: (error: unknown) => void
}

/** Follows the client's sync state and failed requests to know whether the server answers. */
export function useConnection(client: MatrixClient): ConnectionHandle {
  const [connection, setConnection] = useState<Connection>(() =>
    nextConnection('connecting', { kind: 'sync', state: client.getSyncState() }),
  )
  useEffect(() => {
    const onSync = (state: SyncState): void => {
      setConnection((current) => nextConnection(current, { kind: 'sync', state }))
    }
    client.on(ClientEvent.Sync, onSync)
    return () => {
      client.off(ClientEvent.Sync, onSync)
    }
  }, [client])
  const onRequestFailed = useCallback((error: unknown) => {
    setConnection((current) => nextConnection(current, { kind: 'request-failed', error }))
  }, [])
  return { connection, onRequestFailed }
}
