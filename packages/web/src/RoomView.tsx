import { KnownMembership, type MatrixClient, type Room } from 'matrix-js-sdk'
import { useEffect, useMemo, useState } from 'react'
import { Composer, type ComposerMode } from './Composer'
import { MembersPanel } from './MembersPanel'
import { withMentions, type Mentionable } from './mentions'
import { RoomSettings } from './RoomSettings'
import { errorText } from './errorText'
import { messageContent } from './markdown'
import { editContent, replyContent } from './messageRelations'
import { react, sendAttachment, unreact } from './roomMessaging'
import { Timeline, type MessageActions } from './Timeline'
import { lastEditable, roomEventViews } from './timelineViews'
import { TYPING_TIMEOUT_MS, TypingNotifier, typingText } from './typing'
import type { OutboxHandle } from './useOutbox'

interface Props {
  readonly client: MatrixClient
  readonly room: Room
  /** The name the room list shows, which knows better than the SDK for invites. */
  readonly name: string
  readonly version: number
  readonly outbox: OutboxHandle
  readonly onBack: () => void
}

/** Marks the newest event as read while the room is on screen and the window has focus. */
function useReadReceipt(client: MatrixClient, room: Room, version: number): void {
  const [focused, setFocused] = useState(() => document.hasFocus())
  useEffect(() => {
    const onFocus = (): void => {
      setFocused(true)
    }
    const onBlur = (): void => {
      setFocused(false)
    }
    window.addEventListener('focus', onFocus)
    window.addEventListener('blur', onBlur)
    return () => {
      window.removeEventListener('focus', onFocus)
      window.removeEventListener('blur', onBlur)
    }
  }, [])
  useEffect(() => {
    if (document.visibilityState !== 'visible' || !focused) return
    const events = room.getLiveTimeline().getEvents()
    const newest = events[events.length - 1]
    const newestId = newest?.getId()
    if (newest === undefined || newestId === undefined || newestId.startsWith('~')) return
    if (room.getEventReadUpTo(client.getSafeUserId()) === newestId) return
    client.sendReadReceipt(newest).catch(() => {
      // A missed receipt only leaves a stale unread count; the next event retries.
    })
  }, [client, room, version, focused])
}

export function RoomView({ client, room, name, version, outbox, onBack }: Props) {
  useReadReceipt(client, room, version)
  const [mode, setMode] = useState<ComposerMode | undefined>()
  const [failure, setFailure] = useState<string | undefined>()
  const [uploads, setUploads] = useState<readonly string[]>([])
  const [panel, setPanel] = useState<'members' | 'settings' | undefined>()
  const me = client.getSafeUserId()
  const views = roomEventViews(client, room, outbox.entries)
  const typing = typingText(
    room
      .getMembers()
      .filter((member) => member.typing && member.userId !== me)
      .map((member) => member.name),
  )
  const notifier = useMemo(
    () =>
      new TypingNotifier((isTyping) => {
        client.sendTyping(room.roomId, isTyping, TYPING_TIMEOUT_MS).catch(() => {
          // The indicator is a courtesy; it times out on the server by itself.
        })
      }),
    [client, room],
  )

  useEffect(() => {
    setMode(undefined)
    setFailure(undefined)
    return () => {
      notifier.update(false)
    }
  }, [room, notifier])

  const report = (what: string) => (caught: unknown) => {
    setFailure(`${what}: ${errorText(caught)}`)
  }

  const actions: MessageActions = {
    onReact(event, key) {
      if (event.eventId === undefined) return
      react(client, room.roomId, event.eventId, key).catch(report('Could not react'))
    },
    onUnreact(reaction) {
      if (reaction.myReactionId === undefined) return
      unreact(client, room.roomId, reaction.myReactionId).catch(
        report('Could not remove the reaction'),
      )
    },
    onEdit(event) {
      if (event.eventId !== undefined) {
        setMode({ kind: 'edit', eventId: event.eventId, body: event.body })
      }
    },
    onReply(event) {
      if (event.eventId === undefined) return
      setMode({
        kind: 'reply',
        eventId: event.eventId,
        senderId: event.senderId,
        senderName: event.senderName,
      })
    },
  }

  const membership: string = room.getMyMembership()
  const invited = membership === (KnownMembership.Invite as string)
  const encrypted = room.hasEncryptionStateEvent()
  const mentionable: Mentionable[] = room
    .getJoinedMembers()
    .filter((member) => member.userId !== me)
    .map((member) => ({ userId: member.userId, name: member.name }))
  return (
    <section className="room-view" aria-label={name}>
      <header>
        <button type="button" className="back secondary" onClick={onBack}>
          Back to rooms
        </button>
        <h2>{name}</h2>
        <span className="room-flag">{encrypted ? 'Encrypted' : 'Not encrypted'}</span>
        {invited ? null : (
          <span className="room-tools">
            <button
              type="button"
              className="secondary"
              aria-expanded={panel === 'members'}
              onClick={() => {
                setPanel((open) => (open === 'members' ? undefined : 'members'))
              }}
            >
              Members
            </button>
            <button
              type="button"
              className="secondary"
              aria-expanded={panel === 'settings'}
              onClick={() => {
                setPanel((open) => (open === 'settings' ? undefined : 'settings'))
              }}
            >
              Settings
            </button>
          </span>
        )}
      </header>
      {panel === 'members' && !invited ? <MembersPanel client={client} room={room} /> : null}
      {panel === 'settings' && !invited ? <RoomSettings client={client} room={room} /> : null}
      {invited ? (
        <p className="notice">
          You have been invited to this room. Accept or decline the invite in the room list.
        </p>
      ) : (
        <>
          <Timeline client={client} room={room} version={version} views={views} actions={actions} />
          <p className="typing" aria-live="polite">
            {[uploads.length === 0 ? '' : `Sending ${uploads.join(', ')}…`, typing]
              .filter((part) => part !== '')
              .join(' · ')}
          </p>
          {outbox.rejected === undefined && failure === undefined ? null : (
            <p role="alert" className="error">
              {failure ?? outbox.rejected}
            </p>
          )}
          <Composer
            roomName={name}
            mode={mode}
            members={mentionable}
            onSend={(text, mentions) => {
              setFailure(undefined)
              // An edit keeps the mentions of the message it changes.
              const content =
                mode?.kind === 'edit'
                  ? editContent(mode.eventId, text)
                  : withMentions(
                      mode?.kind === 'reply'
                        ? replyContent(text, mode.eventId, mode.senderId)
                        : messageContent(text),
                      mentions,
                    )
              setMode(undefined)
              outbox.send(room.roomId, content)
            }}
            onCancel={() => {
              setMode(undefined)
            }}
            onEditLast={() => {
              const last = lastEditable(views, me)
              if (last?.eventId !== undefined) {
                setMode({ kind: 'edit', eventId: last.eventId, body: last.body })
              }
            }}
            onAttach={(file) => {
              setFailure(undefined)
              setUploads((current) => [...current, file.name])
              sendAttachment(client, room, file)
                .catch(report(`Could not send ${file.name}`))
                .finally(() => {
                  setUploads((current) => {
                    const index = current.indexOf(file.name)
                    return current.filter((_, i) => i !== index)
                  })
                })
            }}
            onTyping={(isTyping) => {
              notifier.update(isTyping)
            }}
          />
        </>
      )}
    </section>
  )
}
