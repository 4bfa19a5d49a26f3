import { KnownMembership, type MatrixClient, type Room } from 'matrix-js-sdk'
import { useEffect } from 'react'
import { Composer } from './Composer'
import { messageContent } from './markdown'
import type { OutboxHandle } from './useOutbox'
import { Timeline } from './Timeline'

interface Props {
  readonly client: MatrixClient
  readonly room: Room
  /** The name the room list shows, which knows better than the SDK for invites. */
  readonly name: string
  readonly version: number
  readonly outbox: OutboxHandle
  readonly onBack: () => void
}

/** Marks the newest event as read while the room is on screen. */
function useReadReceipt(client: MatrixClient, room: Room, version: number): void {
  useEffect(() => {
    if (document.visibilityState !== 'visible') return
    const events = room.getLiveTimeline().getEvents()
    const newest = events[events.length - 1]
    const newestId = newest?.getId()
    if (newest === undefined || newestId === undefined || newestId.startsWith('~')) return
    if (room.getEventReadUpTo(client.getSafeUserId()) === newestId) return
    client.sendReadReceipt(newest).catch(() => {
      // A missed receipt only leaves a stale unread count; the next event retries.
    })
  }, [client, room, version])
}

export function RoomView({ client, room, name, version, outbox, onBack }: Props) {
  useReadReceipt(client, room, version)
  const membership: string = room.getMyMembership()
  const invited = membership === (KnownMembership.Invite as string)
  const encrypted = room.hasEncryptionStateEvent()
  return (
    <section className="room-view" aria-label={name}>
      <header>
        <button type="button" className="back secondary" onClick={onBack}>
          Back to rooms
        </button>
        <h2>{name}</h2>
        <span className="room-flag">{encrypted ? 'Encrypted' : 'Not encrypted'}</span>
      </header>
      {invited ? (
        <p className="notice">
          You have been invited to this room. Accept or decline the invite in the room list.
        </p>
      ) : (
        <>
          <Timeline client={client} room={room} version={version} outbox={outbox.entries} />
          {outbox.rejected === undefined ? null : (
            <p role="alert" className="error">
              {outbox.rejected}
            </p>
          )}
          <Composer
            roomName={name}
            onSend={(text) => {
              outbox.send(room.roomId, messageContent(text))
            }}
          />
        </>
      )}
    </section>
  )
}
