import type { EncryptedFile } from './attachments'
import type { ReactionSummary } from './relations'

/** An attachment: where it is, plain (`url`) or encrypted (`file`). */
export interface MediaView {
  readonly kind: 'image' | 'file'
  readonly name: string
  readonly mimetype?: string
  /** Pixel size from the event, so the timeline keeps its place while the image loads. */
  readonly width?: number
  readonly height?: number
  readonly url?: string
  readonly file?: EncryptedFile
}

/** The message a reply answers, as far as the timeline knows it. */
export interface QuoteView {
  readonly eventId: string
  readonly senderName?: string
  readonly body?: string
  /** Unsanitised org.matrix.custom.html of the quoted message, when it had it. */
  readonly html?: string
}

/** One event as the timeline shows it, independent of the SDK's event model. */
export interface EventView {
  readonly key: string
  /** The server's event ID, once the event has one. */
  readonly eventId?: string
  readonly senderId: string
  readonly senderName: string
  readonly timestamp: number
  readonly kind: 'message' | 'deleted' | 'undecryptable' | 'decrypting'
  readonly body: string
  /** Unsanitised org.matrix.custom.html, when the message had it. */
  readonly html?: string
  readonly emote?: boolean
  /** Set while the message has not reached the homeserver yet. */
  readonly pending?: 'sending' | 'waiting'
  readonly edited?: boolean
  readonly reactions?: readonly ReactionSummary[]
  readonly replyTo?: QuoteView
  readonly media?: MediaView
}

export type TimelineItem =
  | { readonly type: 'day'; readonly key: string; readonly label: string }
  | { readonly type: 'event'; readonly event: EventView }

function dayKey(timestamp: number): string {
  const date = new Date(timestamp)
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`
}

/** Names a day relative to `now`: "Today", "Yesterday", or the full date. */
export function dayLabel(timestamp: number, now: number, locale?: string): string {
  const key = dayKey(timestamp)
  if (key === dayKey(now)) return 'Today'
  const yesterday = new Date(now)
  yesterday.setDate(yesterday.getDate() - 1)
  if (key === dayKey(yesterday.getTime())) return 'Yesterday'
  return new Date(timestamp).toLocaleDateString(locale, {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  })
}

/** Interleaves a separator before the first event of each local calendar day. */
export function withDaySeparators(
  events: readonly EventView[],
  now: number,
  locale?: string,
): TimelineItem[] {
  const items: TimelineItem[] = []
  let previousDay: string | undefined
  for (const event of events) {
    const day = dayKey(event.timestamp)
    if (day !== previousDay) {
      items.push({ type: 'day', key: `day-${day}`, label: dayLabel(event.timestamp, now, locale) })
      previousDay = day
    }
    items.push({ type: 'event', event })
  }
  return items
}
