import { MatrixEvent } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { decryptionFailureText, toEventView, toRelatedEvent, type EventContext } from './eventView'
import { indexRelations } from './relations'

const names = (userId: string) => (userId === '@alice:hs' ? 'Alice' : userId)

function message(content: Record<string, unknown>, unsigned: Record<string, unknown> = {}) {
  return new MatrixEvent({
    type: 'm.room.message',
    event_id: '$e1',
    room_id: '!r:hs',
    sender: '@alice:hs',
    origin_server_ts: 1_700_000_000_000,
    content,
    unsigned,
  })
}

describe('toEventView', () => {
  it('shows the sender name, body and formatted body of a message', () => {
    const view = toEventView(
      message({
        msgtype: 'm.text',
        body: '**hi**',
        format: 'org.matrix.custom.html',
        formatted_body: '<strong>hi</strong>',
      }),
      names,
    )
    expect(view).toEqual({
      key: '$e1',
      eventId: '$e1',
      senderId: '@alice:hs',
      senderName: 'Alice',
      timestamp: 1_700_000_000_000,
      kind: 'message',
      body: '**hi**',
      html: '<strong>hi</strong>',
    })
  })

  it('shows redacted messages as deleted', () => {
    const redacted = message(
      {},
      { redacted_because: { type: 'm.room.redaction', sender: '@alice:hs', content: {} } },
    )
    expect(toEventView(redacted, names)).toMatchObject({ kind: 'deleted', body: 'Message deleted' })
  })

  it('skips state events and edits', () => {
    const state = new MatrixEvent({
      type: 'm.room.name',
      state_key: '',
      sender: '@alice:hs',
      content: { name: 'x' },
    })
    expect(toEventView(state, names)).toBeUndefined()
    const edit = message({
      msgtype: 'm.text',
      body: '* fixed',
      'm.relates_to': { rel_type: 'm.replace', event_id: '$e0' },
    })
    expect(toEventView(edit, names)).toBeUndefined()
  })

  it('shows encrypted events awaiting keys as decrypting', () => {
    const encrypted = new MatrixEvent({
      type: 'm.room.encrypted',
      event_id: '$e2',
      sender: '@bob:hs',
      content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' },
    })
    expect(toEventView(encrypted, names)).toMatchObject({
      kind: 'decrypting',
      senderName: '@bob:hs',
    })
  })

  it('explains decryption failures', () => {
    expect(decryptionFailureText('MEGOLM_UNKNOWN_INBOUND_SESSION_ID')).toBe(
      "Unable to decrypt: the sender's keys have not reached this device",
    )
    expect(decryptionFailureText('OLM_BAD_ROOM')).toBe('Unable to decrypt: OLM_BAD_ROOM')
  })
})

describe('toEventView with relations', () => {
  function event(id: string, sender: string, type: string, content: Record<string, unknown>) {
    return new MatrixEvent({
      type,
      event_id: id,
      room_id: '!r:hs',
      sender,
      origin_server_ts: 1_700_000_000_000 + Number(id.slice(2)),
      content,
    })
  }
  const original = event('$e1', '@alice:hs', 'm.room.message', { msgtype: 'm.text', body: 'helo' })
  const edit = event('$e2', '@alice:hs', 'm.room.message', {
    msgtype: 'm.text',
    body: '* hello',
    'm.new_content': { msgtype: 'm.text', body: 'hello' },
    'm.relates_to': { rel_type: 'm.replace', event_id: '$e1' },
  })
  const reaction = event('$e3', '@bob:hs', 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: '$e1', key: '👍' },
  })
  const reply = event('$e4', '@bob:hs', 'm.room.message', {
    msgtype: 'm.text',
    body: 'yes',
    'm.relates_to': { 'm.in_reply_to': { event_id: '$e1' } },
  })
  const all = [original, edit, reaction, reply]
  const context: EventContext = {
    relations: indexRelations(all.map(toRelatedEvent), '@bob:hs'),
    findEvent: (id) => all.find((e) => e.getId() === id),
  }

  it('shows the newest edit, marked as edited, and the reactions', () => {
    expect(toEventView(original, names, context)).toMatchObject({
      body: 'hello',
      edited: true,
      reactions: [{ key: '👍', count: 1, mine: true, myReactionId: '$e3' }],
    })
  })

  it('quotes the replied-to message as edited', () => {
    expect(toEventView(reply, names, context)?.replyTo).toEqual({
      eventId: '$e1',
      senderName: 'Alice',
      body: 'hello',
    })
  })

  it('quotes formatted messages with their HTML', () => {
    const bold = event('$e7', '@alice:hs', 'm.room.message', {
      msgtype: 'm.text',
      body: '**hi**',
      format: 'org.matrix.custom.html',
      formatted_body: '<strong>hi</strong>',
    })
    const answer = event('$e8', '@bob:hs', 'm.room.message', {
      msgtype: 'm.text',
      body: 'hello',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$e7' } },
    })
    const missing = event('$e9', '@bob:hs', 'm.room.message', {
      msgtype: 'm.text',
      body: 'what?',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$gone' } },
    })
    const local = { ...context, findEvent: (id: string) => (id === '$e7' ? bold : undefined) }
    expect(toEventView(answer, names, local)?.replyTo).toEqual({
      eventId: '$e7',
      senderName: 'Alice',
      body: '**hi**',
      html: '<strong>hi</strong>',
    })
    expect(toEventView(missing, names, local)?.replyTo).toEqual({ eventId: '$gone' })
  })

  it('describes attachments, encrypted or not', () => {
    const image = event('$e5', '@alice:hs', 'm.room.message', {
      msgtype: 'm.image',
      body: 'cat.png',
      url: 'mxc://hs/abc',
      info: { mimetype: 'image/png', size: 3, w: 40, h: 30 },
    })
    expect(toEventView(image, names)?.media).toEqual({
      kind: 'image',
      name: 'cat.png',
      mimetype: 'image/png',
      width: 40,
      height: 30,
      url: 'mxc://hs/abc',
    })
    const file = {
      url: 'mxc://hs/def',
      key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: 'k', ext: true },
      iv: 'iv',
      hashes: { sha256: 'h' },
      v: 'v2',
    }
    const doc = event('$e6', '@alice:hs', 'm.room.message', {
      msgtype: 'm.file',
      body: 'notes.txt',
      filename: 'notes.txt',
      file,
    })
    expect(toEventView(doc, names)?.media).toEqual({ kind: 'file', name: 'notes.txt', file })
  })
})
