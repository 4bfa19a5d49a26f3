import { Direction, type MatrixClient, type Room } from 'matrix-js-sdk'
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import { errorText } from './errorText'
import { toEventView } from './eventView'
import type { OutboxEntry } from './outbox'
import { sanitizeHtml } from './sanitizeHtml'
import { withDaySeparators, type EventView } from './timelineItems'

interface Props {
  readonly client: MatrixClient
  readonly room: Room
  /** Changes whenever the client has news; only used to know when to render again. */
  readonly version: number
  readonly outbox: readonly OutboxEntry[]
}

const PAGE_SIZE = 30
const NEAR_EDGE_PX = 150
const MAX_AUTO_FILLS = 10

function timeOf(timestamp: number): string {
  return new Date(timestamp).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
}

function eventViews(client: MatrixClient, room: Room, outbox: readonly OutboxEntry[]) {
  const nameOf = (userId: string): string => room.getMember(userId)?.name ?? userId
  const pending = room.getPendingEvents()
  const views = [...room.getLiveTimeline().getEvents(), ...pending].flatMap(
    (event) => toEventView(event, nameOf) ?? [],
  )
  // Messages the SDK is not currently sending are waiting in the outbox for the server.
  const inFlight = new Set(pending.map((event) => event.getTxnId()))
  const me = client.getSafeUserId()
  for (const entry of outbox) {
    if (entry.roomId !== room.roomId || inFlight.has(entry.txnId)) continue
    const view: EventView = {
      key: entry.txnId,
      senderId: me,
      senderName: nameOf(me),
      timestamp: entry.queuedAt,
      kind: 'message',
      body: entry.content.body,
      pending: 'waiting',
    }
    views.push(
      entry.content.formatted_body === undefined
        ? view
        : { ...view, html: entry.content.formatted_body },
    )
  }
  return views
}

function EventBody({ event }: { readonly event: EventView }) {
  if (event.kind === 'message' && event.html !== undefined) {
    return <div className="body" dangerouslySetInnerHTML={{ __html: sanitizeHtml(event.html) }} />
  }
  const text = event.emote === true ? `* ${event.senderName} ${event.body}` : event.body
  return <div className={`body ${event.kind}`}>{text}</div>
}

export function Timeline({ client, room, version, outbox }: Props) {
  const scroller = useRef<HTMLDivElement>(null)
  const fromBottom = useRef(0)
  const firstKey = useRef<string | undefined>(undefined)
  const autoFills = useRef(0)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const live = room.getLiveTimeline()
  const canLoadOlder = live.getPaginationToken(Direction.Backward) !== null
  const items = withDaySeparators(eventViews(client, room, outbox), Date.now())

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
              <EventBody event={item.event} />
            </li>
          ),
        )}
      </ol>
    </div>
  )
}
