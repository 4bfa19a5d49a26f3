import { describe, expect, it } from 'vitest'
import {
  attachmentContent,
  decryptAttachment,
  encryptAttachment,
  encryptedFileOf,
  mediaDownloadUrl,
} from './attachments'

describe('encryptAttachment', () => {
  it('produces ciphertext that decrypts back, with a zero counter half in the IV', async () => {
    const plaintext = new TextEncoder().encode('a secret picture').buffer
    const { ciphertext, file } = await encryptAttachment(plaintext)
    expect(new Uint8Array(ciphertext)).not.toEqual(new Uint8Array(plaintext))
    expect(file.key).toMatchObject({ kty: 'oct', alg: 'A256CTR', ext: true })
    expect(file.v).toBe('v2')
    const iv = Uint8Array.from(atob(file.iv.padEnd(24, '=')), (c) => c.charCodeAt(0))
    expect([...iv.subarray(8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect(file.iv).not.toContain('=')
    const decrypted = await decryptAttachment(ciphertext, file)
    expect(new TextDecoder().decode(decrypted)).toBe('a secret picture')
  })

  it('refuses ciphertext that does not match its hash', async () => {
    const { ciphertext, file } = await encryptAttachment(new Uint8Array([1, 2, 3]).buffer)
    const altered = new Uint8Array(ciphertext)
    altered[0] = (altered[0] ?? 0) ^ 1
    await expect(decryptAttachment(altered.buffer, file)).rejects.toThrow(/hash/)
  })
})

describe('attachmentContent', () => {
  it('sends images as m.image with their size and a plain URL', () => {
    const facts = { name: 'cat.png', mimetype: 'image/png', size: 10, width: 3, height: 2 }
    expect(attachmentContent(facts, { url: 'mxc://hs/a' })).toEqual({
      msgtype: 'm.image',
      body: 'cat.png',
      filename: 'cat.png',
      info: { mimetype: 'image/png', size: 10, w: 3, h: 2 },
      url: 'mxc://hs/a',
    })
  })

  it('sends other files as m.file with an EncryptedFile', async () => {
    const { file } = await encryptAttachment(new Uint8Array([1]).buffer)
    const content = attachmentContent(
      { name: 'a.pdf', mimetype: 'application/pdf', size: 1 },
      { file: { ...file, url: 'mxc://hs/b' } },
    )
    expect(content).toMatchObject({ msgtype: 'm.file', info: { mimetype: 'application/pdf' } })
    expect(content.url).toBeUndefined()
    expect(encryptedFileOf(content.file)).toEqual({ ...file, url: 'mxc://hs/b' })
    expect(encryptedFileOf({ url: 'mxc://hs/b' })).toBeUndefined()
  })
})

describe('mediaDownloadUrl', () => {
  it('points at authenticated media', () => {
    expect(mediaDownloadUrl('https://hs.example/', 'mxc://hs.example/abc')).toBe(
      'https://hs.example/_matrix/client/v1/media/download/hs.example/abc',
    )
    expect(mediaDownloadUrl('https://hs.example', 'https://evil/abc')).toBeUndefined()
  })
})
