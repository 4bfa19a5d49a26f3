import {
  ClientEvent,
  MatrixEventEvent,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  type MatrixClient,
} from 'matrix-js-sdk'
import { useEffect, useState } from 'react'

// Everything that can change what the room list or the timeline shows.
const CLIENT_EVENTS = [
  ClientEvent.Sync,
  ClientEvent.Room,
  ClientEvent.DeleteRoom,
  ClientEvent.AccountData,
  RoomEvent.Timeline,
  RoomEvent.TimelineReset,
  RoomEvent.Redaction,
  RoomEvent.LocalEchoUpdated,
  RoomEvent.Name,
  RoomEvent.MyMembership,
  RoomEvent.Receipt,
  RoomStateEvent.Members,
  RoomMemberEvent.Typing,
  MatrixEventEvent.Decrypted,
] as const

/**
 * Returns a number that changes whenever the client's view of the world does; components
 * read the client directly and use this only to know when to render again. Bursts of events
 * (an initial sync) cause one render per animation frame at most.
 */
export function useClientUpdates(client: MatrixClient): number {
  const [version, setVersion] = useState(0)
  useEffect(() => {
    let frame: number | undefined
    const bump = (): void => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined
        setVersion((v) => v + 1)
      })
    }
    for (const event of CLIENT_EVENTS) client.on(event, bump)
    return () => {
      for (const event of CLIENT_EVENTS) client.off(event, bump)
      if (frame !== undefined) cancelAnimationFrame(frame)
    }
  }, [client])
  return version
}
