import {
  ClientEvent,
  EventStatus,
  EventType,
  MsgType,
  RelationType,
  SyncState,
  type MatrixClient,
  type TimelineEvents,
} from 'matrix-js-sdk'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { TextContent } from './markdown'
import { Outbox, keyValueOutboxStorage, outboxKey, type OutboxEntry } from './outbox'
import { PermanentSendError, isRetryableSendError } from './sendErrors'

const RETRY_INTERVAL_MS = 5000

interface SdkText {
  msgtype: MsgType.Text
  body: string
  format?: 'org.matrix.custom.html'
  formatted_body?: string
}

function textContent(content: TextContent): SdkText {
  const text: SdkText = { msgtype: MsgType.Text, body: content.body }
  if (content.formatted_body !== undefined) {
    text.format = 'org.matrix.custom.html'
    text.formatted_body = content.formatted_body
  }
  return text
}

function sdkContent(content: TextContent): TimelineEvents[EventType.RoomMessage] {
  const text = textContent(content)
  const relation = content['m.relates_to']
  const replacement = content['m.new_content']
  if (relation?.rel_type === 'm.replace' && relation.event_id !== undefined && replacement) {
    return {
      ...text,
      'm.new_content': textContent(replacement),
      'm.relates_to': { rel_type: RelationType.Replace, event_id: relation.event_id },
    }
  }
  const mentions = content['m.mentions']
  const withMentions = mentions === undefined ? text : { ...text, 'm.mentions': mentions }
  const inReplyTo = relation?.['m.in_reply_to']
  return inReplyTo === undefined
    ? withMentions
    : { ...withMentions, 'm.relates_to': { 'm.in_reply_to': { event_id: inReplyTo.event_id } } }
}

async function sendEntry(client: MatrixClient, entry: OutboxEntry): Promise<void> {
  const room = client.getRoom(entry.roomId)
  if (room === null) throw new PermanentSendError(`Not in room ${entry.roomId}`)
  // A failed attempt leaves the SDK's local echo behind, holding the transaction ID; the SDK
  // refuses that ID for a new event, so the echo itself is sent again.
  const echo = room.getPendingEvents().find((event) => event.getTxnId() === entry.txnId)
  if (echo?.status === EventStatus.SENT) return
  if (echo?.status === EventStatus.NOT_SENT) {
    await client.resendEvent(echo, room)
    return
  }
  await client.sendEvent(
    entry.roomId,
    EventType.RoomMessage,
    sdkContent(entry.content),
    entry.txnId,
  )
}

export interface OutboxHandle {
  readonly entries: readonly OutboxEntry[]
  send(roomId: string, content: TextContent): void
  readonly rejected: string | undefined
}

/** Sends messages through a persistent outbox that retries whenever the server may be back. */
export function useOutbox(
  client: MatrixClient,
  onFailure: (error: unknown) => void = () => undefined,
): OutboxHandle {
  const failure = useRef(onFailure)
  failure.current = onFailure
  const [entries, setEntries] = useState<readonly OutboxEntry[]>([])
  const [rejected, setRejected] = useState<string | undefined>()
  const outbox = useMemo(
    () =>
      new Outbox({
        storage: keyValueOutboxStorage(localStorage, outboxKey(client.getSafeUserId())),
        transport: async (entry) => {
          try {
            await sendEntry(client, entry)
          } catch (error) {
            failure.current(error)
            throw error
          }
        },
        isRetryable: isRetryableSendError,
        onChange: setEntries,
        onRejected: (entry, error) => {
          const reason = error instanceof Error ? error.message : String(error)
          setRejected(`Could not send "${entry.content.body}": ${reason}`)
        },
      }),
    [client],
  )

  useEffect(() => {
    setEntries(outbox.entries)
    const flush = (): void => {
      if (outbox.entries.length > 0) void outbox.flush()
    }
    const onSync = (state: SyncState): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) flush()
    }
    client.on(ClientEvent.Sync, onSync)
    window.addEventListener('online', flush)
    const timer = setInterval(flush, RETRY_INTERVAL_MS)
    flush()
    return () => {
      client.off(ClientEvent.Sync, onSync)
      window.removeEventListener('online', flush)
      clearInterval(timer)
    }
  }, [client, outbox])

  return {
    entries,
    rejected,
    send(roomId, content) {
      setRejected(undefined)
      outbox.enqueue(roomId, content)
      void outbox.flush()
    },
  }
}
