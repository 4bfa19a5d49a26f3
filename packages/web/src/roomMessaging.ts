import { EventType, MsgType, RelationType, type MatrixClient, type Room } from 'matrix-js-sdk'
import { attachmentContent, encryptAttachment, type FileFacts } from './attachments'

/** Adds the user's reaction to a message. */
export async function react(
  client: MatrixClient,
  roomId: string,
  eventId: string,
  key: string,
): Promise<void> {
  await client.sendEvent(roomId, EventType.Reaction, {
    'm.relates_to': { rel_type: RelationType.Annotation, event_id: eventId, key },
  })
}

/** Takes back one of the user's reactions by redacting it. */
export async function unreact(client: MatrixClient, roomId: string, reactionId: string) {
  await client.redactEvent(roomId, reactionId)
}

async function imageSize(file: File): Promise<{ width: number; height: number } | undefined> {
  if (!file.type.startsWith('image/')) return undefined
  try {
    const bitmap = await createImageBitmap(file)
    const size = { width: bitmap.width, height: bitmap.height }
    bitmap.close()
    return size
  } catch {
    // A format the browser cannot decode is still sent, just without its pixel size.
    return undefined
  }
}

/**
 * Uploads a file and posts it to the room. In an encrypted room the file is encrypted here
 * first, so the homeserver stores only ciphertext and the key travels inside the E2EE event.
 */
export async function sendAttachment(client: MatrixClient, room: Room, file: File) {
  const size = await imageSize(file)
  const facts: FileFacts = {
    name: file.name,
    mimetype: file.type === '' ? 'application/octet-stream' : file.type,
    size: file.size,
    ...(size === undefined ? {} : { width: size.width, height: size.height }),
  }
  let source: Parameters<typeof attachmentContent>[1]
  if (room.hasEncryptionStateEvent()) {
    const { ciphertext, file: keys } = await encryptAttachment(await file.arrayBuffer())
    const uploaded = await client.uploadContent(new Blob([ciphertext]), {
      type: 'application/octet-stream',
      includeFilename: false,
    })
    source = { file: { ...keys, url: uploaded.content_uri } }
  } else {
    const uploaded = await client.uploadContent(file, { name: file.name, type: facts.mimetype })
    source = { url: uploaded.content_uri }
  }
  const { msgtype, ...rest } = attachmentContent(facts, source)
  if (msgtype === 'm.image') {
    await client.sendEvent(room.roomId, EventType.RoomMessage, { ...rest, msgtype: MsgType.Image })
  } else {
    await client.sendEvent(room.roomId, EventType.RoomMessage, { ...rest, msgtype: MsgType.File })
  }
}
