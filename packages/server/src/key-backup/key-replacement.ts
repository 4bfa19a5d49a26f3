import type { BackedUpKey } from '../storage/key-backup-store.js'

/**
 * Whether a key uploaded for a session that the backup already has a key for takes its place
 * (client-server-api §Server-side key backups): a verified key beats an unverified one; between
 * equals in that, the one that decrypts from an earlier message wins, then the one forwarded
 * fewer times. A key that is better in none of these keeps the stored one, so that uploading
 * the same keys again does not count as a change.
 */
export function shouldReplaceKey(existing: BackedUpKey, incoming: BackedUpKey): boolean {
  if (existing.isVerified !== incoming.isVerified) return incoming.isVerified
  if (existing.firstMessageIndex !== incoming.firstMessageIndex) {
    return incoming.firstMessageIndex < existing.firstMessageIndex
  }
  return incoming.forwardedCount < existing.forwardedCount
}
