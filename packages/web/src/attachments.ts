/** The spec's EncryptedFile: where an encrypted attachment is and how to decrypt it. */
export interface EncryptedFile {
  url: string
  key: { kty: 'oct'; key_ops: string[]; alg: 'A256CTR'; k: string; ext: true }
  iv: string
  hashes: { sha256: string }
  v: 'v2'
}

export interface FileFacts {
  readonly name: string
  readonly mimetype: string
  readonly size: number
  /** Pixel size, for images. */
  readonly width?: number
  readonly height?: number
}

/** m.image or m.file content for an uploaded attachment. */
export interface MediaContent {
  msgtype: 'm.image' | 'm.file'
  body: string
  filename: string
  info: { mimetype: string; size: number; w?: number; h?: number }
  url?: string
  file?: EncryptedFile
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function unpadded(base64: string): string {
  return base64.replace(/=+$/, '')
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const normal = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(normal + '='.repeat((4 - (normal.length % 4)) % 4))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

async function sha256(data: ArrayBuffer): Promise<string> {
  return unpadded(toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', data))))
}

/**
 * Encrypts an attachment as the spec's "Sending encrypted attachments" describes: AES-256-CTR
 * with a fresh key, and an IV whose low 64 bits (the block counter) start at zero so the
 * counter cannot wrap. Returns the ciphertext and the EncryptedFile without its `url`.
 */
export async function encryptAttachment(
  plaintext: ArrayBuffer,
): Promise<{ ciphertext: ArrayBuffer; file: Omit<EncryptedFile, 'url'> }> {
  const iv = new Uint8Array(16)
  crypto.getRandomValues(iv.subarray(0, 8))
  const key = await crypto.subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, [
    'encrypt',
    'decrypt',
  ])
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-CTR', counter: iv, length: 64 },
    key,
    plaintext,
  )
  const jwk = await crypto.subtle.exportKey('jwk', key)
  return {
    ciphertext,
    file: {
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: jwk.k ?? '',
        ext: true,
      },
      iv: unpadded(toBase64(iv)),
      hashes: { sha256: await sha256(ciphertext) },
      v: 'v2',
    },
  }
}

/** Checks the ciphertext's hash, then decrypts it; a mismatch means it was altered. */
export async function decryptAttachment(
  ciphertext: ArrayBuffer,
  file: Omit<EncryptedFile, 'url'>,
): Promise<ArrayBuffer> {
  if ((await sha256(ciphertext)) !== unpadded(file.hashes.sha256)) {
    throw new Error('The attachment does not match its hash')
  }
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: 'oct', k: file.key.k, alg: 'A256CTR', ext: true },
    { name: 'AES-CTR' },
    false,
    ['decrypt'],
  )
  return crypto.subtle.decrypt(
    { name: 'AES-CTR', counter: fromBase64(file.iv), length: 64 },
    key,
    ciphertext,
  )
}

/** The message that shows an uploaded attachment: an image if it is one, else a file. */
export function attachmentContent(
  facts: FileFacts,
  source: { readonly url: string } | { readonly file: EncryptedFile },
): MediaContent {
  const image = facts.mimetype.startsWith('image/')
  const info: MediaContent['info'] = { mimetype: facts.mimetype, size: facts.size }
  if (image && facts.width !== undefined && facts.height !== undefined) {
    info.w = facts.width
    info.h = facts.height
  }
  return {
    msgtype: image ? 'm.image' : 'm.file',
    body: facts.name,
    filename: facts.name,
    info,
    ...('url' in source ? { url: source.url } : { file: source.file }),
  }
}

/** The authenticated-media download URL for an mxc:// URI, or undefined if it is malformed. */
export function mediaDownloadUrl(baseUrl: string, mxc: string): string | undefined {
  const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc)
  if (match === null) return undefined
  const [, server = '', mediaId = ''] = match
  return `${baseUrl.replace(/\/+$/, '')}/_matrix/client/v1/media/download/${encodeURIComponent(server)}/${encodeURIComponent(mediaId)}`
}

/** Reads an EncryptedFile from event content, or undefined if it is not one. */
export function encryptedFileOf(value: unknown): EncryptedFile | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { url, key, iv, hashes } = value as Record<string, unknown>
  if (typeof url !== 'string' || typeof iv !== 'string') return undefined
  if (typeof key !== 'object' || key === null || typeof hashes !== 'object' || hashes === null) {
    return undefined
  }
  if (typeof (key as Record<string, unknown>)['k'] !== 'string') return undefined
  if (typeof (hashes as Record<string, unknown>)['sha256'] !== 'string') return undefined
  return value as EncryptedFile
}
