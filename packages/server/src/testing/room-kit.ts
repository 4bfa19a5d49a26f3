/**
 * FOR TESTS ONLY. What room tests need besides a database: a server name, a signing key, a
 * crypto provider and user IDs, all fixed so that failures reproduce.
 */
import {
  parseServerName,
  parseUserId,
  signingKeyFromSeed,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import type { Storage } from '../storage/interface.js'
import { EventPipeline } from '../rooms/event-pipeline.js'

export const crypto = nodeCryptoProvider

export const SERVER_NAME: ServerName = must(parseServerName('example.org'))

export const SIGNING_KEY: SigningKey = must(
  signingKeyFromSeed(new Uint8Array(32).fill(7), 'test', nodeCryptoProvider),
)

export function userId(localpart: string, server = 'example.org'): UserId {
  return must(parseUserId(`@${localpart}:${server}`))
}

export function newPipeline(storage: Storage, now: () => number = Date.now): EventPipeline {
  return new EventPipeline({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto: nodeCryptoProvider,
    now,
  })
}

export function must<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(`expected success: ${JSON.stringify(result.error)}`)
  return result.value
}
