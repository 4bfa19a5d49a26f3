import {
  EventType,
  Preset,
  Visibility,
  type ICreateRoomStateEvent,
  type MatrixClient,
} from 'matrix-js-sdk'
import { addDirectRoom, isUserId, parseDirectRooms } from './directRooms'

const MEGOLM = 'm.megolm.v1.aes-sha2'

function encryptionState(client: MatrixClient): ICreateRoomStateEvent[] {
  if (client.getCrypto() === undefined) return []
  return [{ type: EventType.RoomEncryption, state_key: '', content: { algorithm: MEGOLM } }]
}

/** Creates a private room, encrypted when this device can encrypt. */
export async function createPrivateRoom(client: MatrixClient, name: string): Promise<string> {
  const { room_id } = await client.createRoom({
    name,
    preset: Preset.PrivateChat,
    visibility: Visibility.Private,
    initial_state: encryptionState(client),
  })
  return room_id
}

async function recordDirectRoom(client: MatrixClient, userId: string, roomId: string) {
  const direct = parseDirectRooms(client.getAccountData(EventType.Direct)?.getContent())
  const updated = addDirectRoom(direct, userId, roomId)
  if (updated !== direct) await client.setAccountData(EventType.Direct, updated)
}

/** Opens a DM with another user and records it in m.direct. */
export async function startDirectChat(client: MatrixClient, userId: string): Promise<string> {
  const target = userId.trim()
  if (!isUserId(target)) throw new Error('A user ID looks like @name:server.')
  const { room_id } = await client.createRoom({
    is_direct: true,
    preset: Preset.TrustedPrivateChat,
    visibility: Visibility.Private,
    invite: [target],
    initial_state: encryptionState(client),
  })
  await recordDirectRoom(client, target, room_id)
  return room_id
}

/** Joins a room by alias or ID; a server in the alias is asked to help with the join. */
export async function joinRoom(client: MatrixClient, aliasOrId: string): Promise<string> {
  const target = aliasOrId.trim()
  if (!/^[#!][^:\s]+:\S+$/.test(target)) {
    throw new Error('A room address looks like #name:server or !id:server.')
  }
  const server = target.slice(target.indexOf(':') + 1)
  const room = await client.joinRoom(target, { viaServers: [server] })
  return room.roomId
}

/** Accepts an invite; a DM invite is also recorded in m.direct. */
export async function acceptInvite(client: MatrixClient, roomId: string): Promise<void> {
  const room = client.getRoom(roomId)
  const inviter = room?.getDMInviter()
  await client.joinRoom(roomId)
  if (inviter !== undefined) await recordDirectRoom(client, inviter, roomId)
}

export async function declineInvite(client: MatrixClient, roomId: string): Promise<void> {
  await client.leave(roomId)
}
