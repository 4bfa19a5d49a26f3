import type { MatrixClient } from 'matrix-js-sdk'
import { useEffect, useId, useState, type SubmitEvent } from 'react'
import { errorText } from './errorText'
import {
  directoryServer,
  joinPublicRoom,
  searchPublicRooms,
  type PublicRoomView,
} from './publicRooms'

interface Props {
  readonly client: MatrixClient
  readonly onJoined: (roomId: string) => void
}

/** The public room directory of the user's server or another one, with a Join per room. */
export function ExploreRooms({ client, onJoined }: Props) {
  const id = useId()
  const [server, setServer] = useState('')
  const [term, setTerm] = useState('')
  const [rooms, setRooms] = useState<readonly PublicRoomView[] | undefined>()
  const [searched, setSearched] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | undefined>()

  const load = (typedServer: string, typedTerm: string): void => {
    const target = directoryServer(typedServer)
    setBusy(true)
    setFailure(undefined)
    searchPublicRooms(client, target, typedTerm)
      .then((found) => {
        setRooms(found)
        setSearched(target)
      })
      .catch((caught: unknown) => {
        setFailure(`Could not load the room directory: ${errorText(caught)}`)
      })
      .finally(() => {
        setBusy(false)
      })
  }

  useEffect(() => {
    load('', '')
    // The own server's directory is shown on opening; later searches come from the form.
  }, [client])

  function onSubmit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    load(server, term)
  }

  return (
    <section className="explore" aria-label="Explore rooms">
      <form className="explore-form" onSubmit={onSubmit}>
        <label htmlFor={`${id}-term`}>Search rooms</label>
        <input
          id={`${id}-term`}
          type="search"
          value={term}
          onChange={(e) => {
            setTerm(e.target.value)
          }}
        />
        <label htmlFor={`${id}-server`}>Server</label>
        <input
          id={`${id}-server`}
          value={server}
          placeholder="Your homeserver"
          autoComplete="off"
          onChange={(e) => {
            setServer(e.target.value)
          }}
        />
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      {failure === undefined ? null : (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {rooms === undefined ? null : rooms.length === 0 ? (
        <p className="empty">No public rooms found.</p>
      ) : (
        <ul className="public-rooms">
          {rooms.map((room) => (
            <li key={room.roomId} aria-label={room.name}>
              <div className="public-room-name">{room.name}</div>
              <div className="member-id">
                {[
                  room.alias,
                  `${String(room.members)} ${room.members === 1 ? 'member' : 'members'}`,
                ]
                  .filter((part) => part !== undefined)
                  .join(' · ')}
              </div>
              {room.topic === '' ? null : <p className="public-room-topic">{room.topic}</p>}
              <button
                type="button"
                disabled={busy}
                onClick={() => {
                  setBusy(true)
                  setFailure(undefined)
                  joinPublicRoom(client, room, searched)
                    .then(onJoined)
                    .catch((caught: unknown) => {
                      setFailure(`Could not join ${room.name}: ${errorText(caught)}`)
                    })
                    .finally(() => {
                      setBusy(false)
                    })
                }}
              >
                Join
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
