/**
 * Test support: remote servers with real signing keys, answering key requests through a fake
 * FederationRequester, so that key fetching and notary code run against signed data.
 */
import {
  err,
  generateSigningKey,
  ok,
  publicKeyBase64,
  signJson,
  type JsonObject,
  type JsonValue,
  type Result,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import type {
  FederationFailure,
  FederationRequester,
  FederationRequestOptions,
  FederationResponse,
} from '../federation/transport/federation-client.js'

export interface RecordedCall {
  readonly destination: ServerName
  readonly method: string
  readonly path: string
  readonly body: JsonObject | undefined
  readonly query?: FederationRequestOptions['query']
}

type Handler = (
  call: RecordedCall,
) =>
  | Promise<Result<FederationResponse, FederationFailure>>
  | Result<FederationResponse, FederationFailure>

/** A requester whose answers the test decides per destination; every call is recorded. */
export class FakeRequester implements Pick<FederationRequester, 'get' | 'request'> {
  readonly calls: RecordedCall[] = []
  readonly #handlers = new Map<ServerName, Handler>()

  on(destination: ServerName, handler: Handler): void {
    this.#handlers.set(destination, handler)
  }

  callsTo(destination: ServerName): readonly RecordedCall[] {
    return this.calls.filter((call) => call.destination === destination)
  }

  get(
    destination: ServerName,
    path: string,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    return this.#answer({ destination, method: 'GET', path, body: undefined })
  }

  request(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonObject,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    const query = options?.query
    return this.#answer({
      destination,
      method,
      path,
      body,
      ...(query === undefined ? {} : { query }),
    })
  }

  async #answer(call: RecordedCall): Promise<Result<FederationResponse, FederationFailure>> {
    this.calls.push(call)
    const handler = this.#handlers.get(call.destination)
    if (handler === undefined) {
      return err({ kind: 'unreachable', message: `${call.destination} is not reachable` })
    }
    return handler(call)
  }
}

export function answer(body: JsonValue): Result<FederationResponse, FederationFailure> {
  return ok({ status: 200, body })
}

/** A remote server with a signing key, publishing key responses as the spec shapes them. */
export class FakeServer {
  readonly name: ServerName
  readonly key: SigningKey
  readonly oldKeys: { readonly key: SigningKey; readonly expiredTs: number }[] = []

  constructor(name: ServerName, version?: string) {
    this.name = name
    this.key = generateSigningKey(crypto, version)
  }

  /** The signed body of its GET /_matrix/key/v2/server. */
  keyResponse(validUntilTs: number, signer: SigningKey = this.key): JsonObject {
    const old: Record<string, JsonObject> = {}
    for (const { key, expiredTs } of this.oldKeys) {
      old[key.keyId] = { key: publicKeyBase64(key), expired_ts: expiredTs }
    }
    return signJson(
      {
        server_name: this.name,
        verify_keys: { [this.key.keyId]: { key: publicKeyBase64(this.key) } },
        old_verify_keys: old,
        valid_until_ts: validUntilTs,
      },
      this.name,
      signer,
      crypto,
    )
  }

  /** Answers key server requests with `keyResponse(validUntilTs)`. */
  serveKeys(requester: FakeRequester, validUntilTs: () => number): void {
    requester.on(this.name, (call) =>
      call.path === '/_matrix/key/v2/server'
        ? answer(this.keyResponse(validUntilTs()))
        : err({ kind: 'http', status: 404, body: null, message: 'not found' }),
    )
  }
}
