import { Direction, type MatrixClient, type Room } from 'matrix-js-sdk'
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import { Attachment } from './Attachment'
import { errorText } from './errorText'
import type { ReactionSummary } from './relations'
import { sanitizeHtml } from './sanitizeHtml'
import { withDaySeparators, type EventView } from './timelineItems'
import { isEditable } from './timelineViews'

/** What the user can do to a message from the timeline. */
export interface MessageActions {
  readonly onReact: (event: EventView, key: string) => void
  readonly onUnreact: (reaction: ReactionSummary) => void
  readonly onEdit: (event: EventView) => void
  readonly onReply: (event: EventView) => void
}

interface Props {
  readonly client: MatrixClient
  readonly room: Room
  /** Changes whenever the client has news; only used to know when to render again. */
  readonly version: number
  readonly views: readonly EventView[]
  readonly actions: MessageActions
}

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '✅'] as const

const PAGE_SIZE = 30
const NEAR_EDGE_PX = 150
const MAX_AUTO_FILLS = 10

function timeOf(timestamp: number): string {
  return new Date(timestamp).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
}

function EventBody({
  client,
  event,
}: {
  readonly client: MatrixClient
  readonly event: EventView
}) {
  if (event.kind === 'message' && event.media !== undefined) {
    return (
      <div className="body">
        <Attachment client={client} media={event.media} />
      </div>
    )
  }
  const edited = event.edited === true ? <span className="edited">(edited)</span> : null
  if (event.kind === 'message' && event.html !== undefined) {
    return (
      <div className="body-row">
        <div className="body" dangerouslySetInnerHTML={{ __html: sanitizeHtml(event.html) }} />
        {edited}
      </div>
    )
  }
  const text = event.emote === true ? `* ${event.senderName} ${event.body}` : event.body
  return (
    <div className="body-row">
      <div className={`body ${event.kind}`}>{text}</div>
      {edited}
    </div>
  )
}

function Quote({ event }: { readonly event: EventView }) {
  const quote = event.replyTo
  if (quote === undefined) return null
  return (
    <blockquote className="quote">
      {quote.senderName === undefined ? (
        <span className="missing">In reply to a message that is not loaded</span>
      ) : (
        <>
          <span className="sender">{quote.senderName}</span>{' '}
          {quote.html === undefined ? (
            <span className="quote-body">{quote.body}</span>
          ) : (
            <span
              className="quote-body"
              dangerouslySetInnerHTML={{ __html: sanitizeHtml(quote.html) }}
            />
          )}
        </>
      )}
    </blockquote>
  )
}

interface MessageProps {
  readonly client: MatrixClient
  readonly event: EventView
  readonly actions: MessageActions
  readonly pickerOpen: boolean
  readonly onPicker: (open: boolean) => void
}

function Message({ client, event, actions, pickerOpen, onPicker }: MessageProps) {
  const me = client.getSafeUserId()
  const picker = useRef<HTMLDivElement>(null)
  const reactButton = useRef<HTMLButtonElement>(null)

  // The picker takes focus when it opens, and gives it back to its button when closed by key.
  useEffect(() => {
    if (pickerOpen) picker.current?.querySelector('button')?.focus()
  }, [pickerOpen])

  function closePicker(): void {
    onPicker(false)
    reactButton.current?.focus()
  }

  const canRelate = event.eventId !== undefined && event.kind === 'message'
  return (
    <>
      <Quote event={event} />
      <EventBody client={client} event={event} />
      {event.reactions === undefined ? null : (
        <div className="reactions" role="group" aria-label="Reactions">
          {event.reactions.map((reaction) => (
            <button
              key={reaction.key}
              type="button"
              className="reaction secondary"
              aria-pressed={reaction.mine}
              aria-label={`${reaction.key} ${reaction.count}`}
              onClick={() => {
                if (reaction.mine) actions.onUnreact(reaction)
                else actions.onReact(event, reaction.key)
              }}
            >
              {reaction.key} {reaction.count}
            </button>
          ))}
        </div>
      )}
      {canRelate ? (
        <div className="actions">
          <button
            ref={reactButton}
            type="button"
            className="secondary"
            aria-expanded={pickerOpen}
            onClick={() => {
              onPicker(!pickerOpen)
            }}
          >
            React
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              actions.onReply(event)
            }}
          >
            Reply
          </button>
          {isEditable(event, me) ? (
            <button
              type="button"
              className="secondary"
              onClick={() => {
                actions.onEdit(event)
              }}
            >
              Edit
            </button>
          ) : null}
        </div>
      ) : null}
      {pickerOpen ? (
        <div
          ref={picker}
          className="picker"
          role="group"
          aria-label="Pick a reaction"
          onKeyDown={(e) => {
            if (e.key === 'Escape') closePicker()
          }}
        >
          {QUICK_REACTIONS.map((key) => (
            <button
              key={key}
              type="button"
              className="secondary"
              aria-label={`React with ${key}`}
              onClick={() => {
                closePicker()
                const existing = event.reactions?.find((r) => r.key === key && r.mine)
                if (existing === undefined) actions.onReact(event, key)
                else actions.onUnreact(existing)
              }}
            >
              {key}
            </button>
          ))}
        </div>
      ) : null}
    </>
  )
}

export function Timeline({ client, room, version, views, actions }: Props) {
  const [picker, setPicker] = useState<string | undefined>()
  const scroller = useRef<HTMLDivElement>(null)
  const fromBottom = useRef(0)
  const firstKey = useRef<string | undefined>(undefined)
  const autoFills = useRef(0)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const live = room.getLiveTimeline()
  const canLoadOlder = live.getPaginationToken(Direction.Backward) !== null
  const items = withDaySeparators(views, Date.now())

  const loadOlder = useCallback(async () => {
    if (loading) return
    setLoading(true)
    setError(undefined)
    try {
      await client.paginateEventTimeline(room.getLiveTimeline(), {
        backwards: true,
        limit: PAGE_SIZE,
      })
    } catch (caught) {
      setError(errorText(caught))
    } finally {
      setLoading(false)
    }
  }, [client, room, loading])

  // Keeps the reader's place: stuck to the newest message, or steady while older ones load.
  useLayoutEffect(() => {
    const element = scroller.current
    if (element === null) return
    const first = items[0]
    const key = first === undefined ? undefined : first.type === 'day' ? first.key : first.event.key
    const prepended = firstKey.current !== undefined && key !== firstKey.current
    firstKey.current = key
    if (fromBottom.current < 40 || prepended) {
      element.scrollTop = element.scrollHeight - element.clientHeight - fromBottom.current
    }
  })

  useLayoutEffect(() => {
    fromBottom.current = 0
    firstKey.current = undefined
    autoFills.current = 0
  }, [room])

  // A narrower window or a taller composer shrinks the view; the newest message stays in sight.
  useEffect(() => {
    const element = scroller.current
    if (element === null) return
    const observer = new ResizeObserver(() => {
      if (fromBottom.current < 40) element.scrollTop = element.scrollHeight
    })
    observer.observe(element)
    return () => {
      observer.disconnect()
    }
  }, [])

  // Until the messages fill the view there is nothing to scroll, so older ones load by
  // themselves; the cap stops a server that keeps answering with empty pages.
  useEffect(() => {
    const element = scroller.current
    if (element === null || loading || !canLoadOlder) return
    if (element.scrollHeight > element.clientHeight || autoFills.current >= MAX_AUTO_FILLS) return
    autoFills.current++
    void loadOlder()
  })

  function onScroll(): void {
    const element = scroller.current
    if (element === null) return
    fromBottom.current = element.scrollHeight - element.clientHeight - element.scrollTop
    if (element.scrollTop < NEAR_EDGE_PX && canLoadOlder && !loading) void loadOlder()
  }

  return (
    <div className="timeline" ref={scroller} onScroll={onScroll} data-version={version}>
      <div className="timeline-start">
        {canLoadOlder ? (
          <button
            type="button"
            className="secondary"
            disabled={loading}
            onClick={() => {
              void loadOlder()
            }}
          >
            {loading ? 'Loading…' : 'Load older'}
          </button>
        ) : (
          <p>This is the start of the room.</p>
        )}
        {error === undefined ? null : (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
      <ol aria-label="Timeline">
        {items.map((item) =>
          item.type === 'day' ? (
            <li key={item.key} role="separator" aria-label={item.label} className="day">
              <span>{item.label}</span>
            </li>
          ) : (
            <li
              key={item.event.key}
              className={item.event.pending === undefined ? 'event' : 'event pending'}
            >
              <div className="meta">
                <span className="sender">{item.event.senderName}</span>{' '}
                <time dateTime={new Date(item.event.timestamp).toISOString()}>
                  {timeOf(item.event.timestamp)}
                </time>
                {item.event.pending === undefined ? null : (
                  <span className="status">
                    {item.event.pending === 'waiting' ? 'Waiting for connection' : 'Sending…'}
                  </span>
                )}
              </div>
              <Message
                client={client}
                event={item.event}
                actions={actions}
                pickerOpen={picker === item.event.key}
                onPicker={(open) => {
                  setPicker(open ? item.event.key : undefined)
                }}
              />
            </li>
          ),
        )}
      </ol>
    </div>
  )
}
