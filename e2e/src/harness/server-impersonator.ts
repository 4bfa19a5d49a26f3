import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import {
  parseSigningKeyFile,
  type JsonObject,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { createRequestSigner } from '../../../packages/server/src/federation/auth/x-matrix.js'
import type { FederatedServer } from './federation.js'

export interface SendOptions {
  readonly json?: JsonObject
  readonly raw?: Buffer
  /**
   * The Content-Length to announce instead of the body's: with a body larger than the server
   * takes, only its first bytes are sent, since a server that refuses it early closes the
   * connection while the rest would still be on its way (EPIPE for the sender).
   */
  readonly declaredLength?: number
  readonly signedContent?: JsonObject
  readonly authorization?: string
}

export interface FederationAnswer {
  readonly status: number
  readonly body: unknown
}

/**
 * Speaks to a server's federation API as another server of the test federation would, with
 * that server's own signing key (read from its data directory): a test can then send what a
 * broken or hostile server sends, signed as that server really signs.
 */
export class ServerImpersonator {
  readonly name: ServerName
  readonly key: SigningKey
  readonly #ca: Buffer

  constructor(server: FederatedServer, caPath: string) {
    this.name = server.serverName as ServerName
    const text = readFileSync(join(server.server.dataDir, 'signing.key'), 'utf8')
    const keys = parseSigningKeyFile(text, nodeCryptoProvider)
    if (!keys.ok || keys.value[0] === undefined) throw new Error(`no signing key for ${this.name}`)
    this.key = keys.value[0]
    this.#ca = readFileSync(caPath)
  }

  /**
   * A signed request to `target`, with `json` as its body, or with `raw` bytes sent as they are
   * (signed as if they were `signedContent`, or as a request without content when that is
   * absent). `authorization` replaces the header the key makes.
   */
  send(
    target: FederatedServer,
    method: string,
    uri: string,
    options: SendOptions = {},
  ): Promise<FederationAnswer> {
    const destination = target.serverName as ServerName
    const content = options.json ?? options.signedContent
    const signer = createRequestSigner(this.name, this.key, nodeCryptoProvider)
    const header =
      options.authorization ??
      signer({ method, uri, destination, ...(content === undefined ? {} : { content }) })
    const bytes =
      options.raw ??
      (options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json), 'utf8'))
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: target.federationPort,
          servername: 'localhost',
          method,
          path: uri,
          ca: this.#ca,
          headers: {
            authorization: header,
            ...(bytes === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': options.declaredLength ?? bytes.length,
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown = text
            try {
              parsed = JSON.parse(text)
            } catch {
              // Not JSON: the text is the answer.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(bytes)
    })
  }
}
