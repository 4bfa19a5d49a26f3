import {
  publicKeyBase64,
  signJson,
  type CryptoProvider,
  type JsonObject,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'

/**
 * How long others may trust the published keys without asking again. Servers must use at most 7
 * days (server-server-api, `valid_until_ts`), and should not publish less than an hour; a day,
 * like Synapse, lets a key change reach other servers within a day.
 */
export const KEY_VALIDITY_MS = 24 * 60 * 60 * 1000

export interface ServerKeysInput {
  readonly serverName: ServerName
  readonly active: SigningKey
  /** Further current keys (published in verify_keys too). */
  readonly others: readonly SigningKey[]
  readonly now: number
  readonly validityMs: number
}

/**
 * The body of `GET /_matrix/key/v2/server` (server-server-api §Publishing Keys): this server's
 * verify keys and how long they are valid, signed with the active key (appendices §Signing JSON).
 */
export function buildServerKeys(input: ServerKeysInput, crypto: CryptoProvider): JsonObject {
  const verifyKeys: Record<string, JsonObject> = {}
  for (const key of [input.active, ...input.others]) {
    verifyKeys[key.keyId] = { key: publicKeyBase64(key) }
  }
  const unsigned: JsonObject = {
    server_name: input.serverName,
    verify_keys: verifyKeys,
    old_verify_keys: {},
    valid_until_ts: input.now + input.validityMs,
  }
  return signJson(unsigned, input.serverName, input.active, crypto)
}

export interface ServerKeyPublisher {
  /** The current signed response; re-signed once half its validity has passed. */
  current(): JsonObject
}

export function createServerKeyPublisher(
  input: Omit<ServerKeysInput, 'now' | 'validityMs'>,
  crypto: CryptoProvider,
  now: () => number,
  validityMs: number = KEY_VALIDITY_MS,
): ServerKeyPublisher {
  let cached: { readonly body: JsonObject; readonly renewAt: number } | undefined
  return {
    current() {
      const at = now()
      if (cached === undefined || at >= cached.renewAt) {
        const body = buildServerKeys({ ...input, now: at, validityMs }, crypto)
        cached = { body, renewAt: at + validityMs / 2 }
      }
      return cached.body
    },
  }
}
