import { MatrixEvent } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { decryptionFailureText, toEventView } from './eventView'

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
