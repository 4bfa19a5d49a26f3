import type { IPublicRoomsChunkRoom, MatrixClient } from 'matrix-js-sdk'

/** A room of the public directory as the explore list shows it. */
export interface PublicRoomView {
  readonly roomId: string
  readonly name: string
  readonly alias: string | undefined
  readonly topic: string
  readonly members: number
  /** What to join: the alias when there is one, as it survives a room upgrade. */
  readonly joinTarget: string
}

export function publicRoomView(room: IPublicRoomsChunkRoom): PublicRoomView {
  const alias = room.canonical_alias ?? room.aliases?.[0]
  const name = room.name?.trim()
  return {
    roomId: room.room_id,
    name: name !== undefined && name !== '' ? name : (alias ?? room.room_id),
    alias,
    topic: room.topic ?? '',
    members: room.num_joined_members,
    joinTarget: alias ?? room.room_id,
  }
}

/** A server name as typed: blank means the user's own homeserver. */
export function directoryServer(typed: string): string | undefined {
  const server = typed
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
  return server === '' ? undefined : server
}

/** Which servers can help join: the directory's server, else the one in the alias or ID. */
export function joinVia(target: string, server: string | undefined): string[] {
  if (server !== undefined) return [server]
  const colon = target.indexOf(':')
  return colon === -1 ? [] : [target.slice(colon + 1)]
}

export async function searchPublicRooms(
  client: MatrixClient,
  server: string | undefined,
  term: string,
): Promise<PublicRoomView[]> {
  const search = term.trim()
  const response = await client.publicRooms({
    ...(server === undefined ? {} : { server }),
    limit: 50,
    ...(search === '' ? {} : { filter: { generic_search_term: search } }),
  })
  return response.chunk.map(publicRoomView)
}

export async function joinPublicRoom(
  client: MatrixClient,
  room: PublicRoomView,
  server: string | undefined,
): Promise<string> {
  const joined = await client.joinRoom(room.joinTarget, {
    viaServers: joinVia(room.joinTarget, server),
  })
  return joined.roomId
}
