import { EventType, type MatrixClient, type Room } from 'matrix-js-sdk'
import { useId, useState, type SubmitEvent } from 'react'
import { errorText } from './errorText'
import { canSendState } from './roomPower'
import { currentStateEvent, enableEncryption, roomPower } from './roomMembers'

interface Props {
  readonly client: MatrixClient
  readonly room: Room
}

function stateText(room: Room, type: EventType, key: string): string {
  const value: unknown = currentStateEvent(room, type)?.getContent()[key]
  return typeof value === 'string' ? value : ''
}

const currentTopic = (room: Room): string => stateText(room, EventType.RoomTopic, 'topic')
const currentName = (room: Room): string => stateText(room, EventType.RoomName, 'name')

export function RoomSettings({ client, room }: Props) {
  const me = client.getSafeUserId()
  const power = roomPower(room)
  const id = useId()
  const [name, setName] = useState(() => currentName(room))
  const [topic, setTopic] = useState(() => currentTopic(room))
  const [confirming, setConfirming] = useState(false)
  const [failure, setFailure] = useState<string | undefined>()
  const [saved, setSaved] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const mayName = canSendState(power, me, EventType.RoomName)
  const mayTopic = canSendState(power, me, EventType.RoomTopic)
  const mayEncrypt =
    !room.hasEncryptionStateEvent() && canSendState(power, me, EventType.RoomEncryption)

  const run = (what: string, done: string, work: () => Promise<unknown>): void => {
    setFailure(undefined)
    setSaved(undefined)
    setBusy(true)
    work()
      .then(() => {
        setSaved(done)
      })
      .catch((caught: unknown) => {
        setFailure(`${what}: ${errorText(caught)}`)
      })
      .finally(() => {
        setBusy(false)
      })
  }

  function onSave(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    const changes: Promise<unknown>[] = []
    if (mayName && name.trim() !== currentName(room)) {
      changes.push(client.setRoomName(room.roomId, name.trim()))
    }
    if (mayTopic && topic.trim() !== currentTopic(room)) {
      changes.push(client.setRoomTopic(room.roomId, topic.trim()))
    }
    run('Could not save the settings', 'Settings saved.', () => Promise.all(changes))
  }

  return (
    <section className="side-panel settings" aria-label="Room settings">
      <h3>Room settings</h3>
      {mayName || mayTopic ? (
        <form className="inline-form" onSubmit={onSave}>
          {mayName ? (
            <>
              <label htmlFor={`${id}-name`}>Room name</label>
              <input
                id={`${id}-name`}
                value={name}
                autoComplete="off"
                onChange={(event) => {
                  setName(event.target.value)
                }}
              />
            </>
          ) : null}
          {mayTopic ? (
            <>
              <label htmlFor={`${id}-topic`}>Topic</label>
              <textarea
                id={`${id}-topic`}
                value={topic}
                rows={3}
                onChange={(event) => {
                  setTopic(event.target.value)
                }}
              />
            </>
          ) : null}
          <button type="submit" disabled={busy}>
            Save
          </button>
        </form>
      ) : (
        <p className="notice">You cannot change this room's name or topic.</p>
      )}
      {mayEncrypt ? (
        confirming ? (
          <div className="confirm" role="group" aria-label="Confirm encryption">
            <p>
              Encryption cannot be turned off again, and people who join later can't read older
              messages.
            </p>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                run('Could not enable encryption', 'Encryption enabled.', () =>
                  enableEncryption(client, room.roomId),
                )
                setConfirming(false)
              }}
            >
              Turn on encryption
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setConfirming(false)
              }}
            >
              Cancel
            </button>
          </div>
        ) : (
          <button
            type="button"
            onClick={() => {
              setConfirming(true)
            }}
          >
            Enable encryption
          </button>
        )
      ) : null}
      {failure === undefined ? null : (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {saved === undefined ? null : <p className="notice">{saved}</p>}
    </section>
  )
}
