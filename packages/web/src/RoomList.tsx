import type { MatrixClient } from 'matrix-js-sdk'
import { useState, type SubmitEvent } from 'react'
import { errorText } from './errorText'
import { ExploreRooms } from './ExploreRooms'
import {
  acceptInvite,
  createPrivateRoom,
  declineInvite,
  joinRoom,
  startDirectChat,
} from './roomActions'
import { filterRooms, sortRooms, type RoomSummary } from './sortRooms'

interface Props {
  readonly client: MatrixClient
  readonly rooms: readonly RoomSummary[]
  readonly selectedRoomId: string | undefined
  readonly onSelect: (roomId: string) => void
}

type Action = 'new-room' | 'start-chat' | 'join-room'

const ACTIONS: Readonly<
  Record<Action, { toggle: string; field: string; submit: string; placeholder: string }>
> = {
  'new-room': { toggle: 'New room', field: 'Room name', submit: 'Create', placeholder: 'Garden' },
  'start-chat': {
    toggle: 'Start chat',
    field: 'User ID',
    submit: 'Start',
    placeholder: '@name:server',
  },
  'join-room': {
    toggle: 'Join room',
    field: 'Room alias or ID',
    submit: 'Join',
    placeholder: '#room:server',
  },
}

function rowLabel(room: RoomSummary): string {
  const parts = [room.name]
  if (room.membership === 'invite') parts.push('invite')
  if (room.unread > 0) parts.push(`${room.unread} unread`)
  if (room.highlights > 0) {
    parts.push(`${room.highlights} ${room.highlights === 1 ? 'mention' : 'mentions'}`)
  }
  return parts.join(', ')
}

export function RoomList({ client, rooms, selectedRoomId, onSelect }: Props) {
  const [filter, setFilter] = useState('')
  const [action, setAction] = useState<Action | undefined>()
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const [exploring, setExploring] = useState(false)

  async function run(work: () => Promise<string | undefined>): Promise<void> {
    setBusy(true)
    setError(undefined)
    try {
      const roomId = await work()
      setAction(undefined)
      setValue('')
      if (roomId !== undefined) onSelect(roomId)
    } catch (caught) {
      setError(errorText(caught))
    } finally {
      setBusy(false)
    }
  }

  function onSubmit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    const input = value.trim()
    if (input === '' || action === undefined) return
    switch (action) {
      case 'new-room':
        void run(() => createPrivateRoom(client, input))
        break
      case 'start-chat':
        void run(() => startDirectChat(client, input))
        break
      case 'join-room':
        void run(() => joinRoom(client, input))
        break
    }
  }

  const shown = sortRooms(filterRooms(rooms, filter))
  const current = action === undefined ? undefined : ACTIONS[action]

  return (
    <nav aria-label="Rooms" className="room-list">
      <div className="room-actions">
        {(Object.keys(ACTIONS) as Action[]).map((key) => (
          <button
            key={key}
            type="button"
            className="secondary"
            aria-expanded={action === key}
            onClick={() => {
              setAction(action === key ? undefined : key)
              setValue('')
              setError(undefined)
            }}
          >
            {ACTIONS[key].toggle}
          </button>
        ))}
        <button
          type="button"
          className="secondary"
          aria-expanded={exploring}
          onClick={() => {
            setExploring(!exploring)
          }}
        >
          Explore rooms
        </button>
      </div>
      {exploring ? (
        <ExploreRooms
          client={client}
          onJoined={(roomId) => {
            setExploring(false)
            onSelect(roomId)
          }}
        />
      ) : null}
      {current === undefined ? null : (
        <form className="room-action-form" onSubmit={onSubmit} aria-label={current.toggle}>
          <label>
            {current.field}
            <input
              value={value}
              placeholder={current.placeholder}
              onChange={(e) => {
                setValue(e.target.value)
              }}
              autoFocus
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            {current.submit}
          </button>
        </form>
      )}
      {error === undefined ? null : (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <label className="filter">
        Filter rooms
        <input
          type="search"
          value={filter}
          onChange={(e) => {
            setFilter(e.target.value)
          }}
        />
      </label>
      <ul>
        {shown.map((room) => (
          <li key={room.roomId} className={room.membership === 'invite' ? 'invite' : undefined}>
            <button
              type="button"
              className="room"
              aria-label={rowLabel(room)}
              aria-current={room.roomId === selectedRoomId ? 'true' : undefined}
              onClick={() => {
                onSelect(room.roomId)
              }}
            >
              <span className="room-name">
                {room.isDirect ? '@ ' : '# '}
                {room.name}
              </span>
              {room.highlights > 0 ? (
                <span className="badge highlight">{room.highlights}</span>
              ) : null}
              {room.unread > 0 ? <span className="badge">{room.unread}</span> : null}
            </button>
            {room.membership === 'invite' ? (
              <span className="invite-buttons">
                <button
                  type="button"
                  aria-label={`Accept invite to ${room.name}`}
                  disabled={busy}
                  onClick={() => {
                    void run(async () => {
                      await acceptInvite(client, room.roomId)
                      return room.roomId
                    })
                  }}
                >
                  Accept
                </button>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Decline invite to ${room.name}`}
                  disabled={busy}
                  onClick={() => {
                    void run(async () => {
                      await declineInvite(client, room.roomId)
                      return undefined
                    })
                  }}
                >
                  Decline
                </button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {shown.length === 0 ? <p className="empty">No rooms yet.</p> : null}
    </nav>
  )
}
