import type { MatrixClient } from 'matrix-js-sdk'
import { useState } from 'react'
import { RoomList } from './RoomList'
import { RoomView } from './RoomView'
import { connectionBanner, serverLabel } from './connection'
import { roomSummaries } from './roomSummaries'
import { useConnection } from './useConnection'
import { useClientUpdates } from './useClientUpdates'
import { useOutbox } from './useOutbox'

interface Props {
  readonly client: MatrixClient
  readonly cryptoProblem: string | undefined
  readonly onSignOut: () => void
}

export function Messenger({ client, cryptoProblem, onSignOut }: Props) {
  const version = useClientUpdates(client)
  const { connection, onRequestFailed } = useConnection(client)
  const outbox = useOutbox(client, onRequestFailed)
  const banner = connectionBanner(connection, serverLabel(client.getHomeserverUrl()))
  const [selectedRoomId, setSelectedRoomId] = useState<string | undefined>()
  const rooms = roomSummaries(client)
  const selected = selectedRoomId === undefined ? null : client.getRoom(selectedRoomId)

  return (
    <div className={selected === null ? 'messenger' : 'messenger room-open'}>
      <header className="top-bar">
        <h1>Rhizome</h1>
        <span className="whoami">{client.getSafeUserId()}</span>
        <span className="crypto-status" title={cryptoProblem}>
          {cryptoProblem === undefined ? 'Encryption on' : 'Encryption unavailable'}
        </span>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
        {banner === undefined ? null : (
          <p role="status" className="connection-banner">
            {banner}
          </p>
        )}
      </header>
      <RoomList
        client={client}
        rooms={rooms}
        selectedRoomId={selectedRoomId}
        onSelect={setSelectedRoomId}
      />
      <main>
        {selected === null ? (
          <p className="notice">Choose a room, or start a chat.</p>
        ) : (
          <RoomView
            key={selected.roomId}
            client={client}
            room={selected}
            name={rooms.find((room) => room.roomId === selected.roomId)?.name ?? selected.name}
            version={version}
            outbox={outbox}
            onBack={() => {
              setSelectedRoomId(undefined)
            }}
          />
        )}
      </main>
    </div>
  )
}
