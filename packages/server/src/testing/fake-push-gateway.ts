/**
 * FOR TESTS ONLY. A push gateway on a local port that records each notify request and answers
 * as the test tells it, and a check of request bodies against the push gateway API's schema.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { parse as parseYaml } from 'yaml'
import { specDir } from './openapi-spec.js'

export interface GatewayRequest {
  readonly path: string
  readonly body: unknown
}

/** What the gateway answers one request with. */
export type GatewayAnswer =
  { readonly status: number; readonly rejected?: readonly string[] } | 'hang-up'

export interface FakePushGateway {
  /** `http://127.0.0.1:<port>/_matrix/push/v1/notify` */
  readonly url: string
  readonly requests: GatewayRequest[]
  /** Answers for the next requests, in order; after them every request gets 200. */
  readonly answers: GatewayAnswer[]
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export async function startFakePushGateway(): Promise<FakePushGateway> {
  const requests: GatewayRequest[] = []
  const answers: GatewayAnswer[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
      requests.push({ path: req.url ?? '', body })
      const answer = answers.shift() ?? { status: 200 }
      if (answer === 'hang-up') {
        req.socket.destroy()
        return
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.status === 200 ? { rejected: answer.rejected ?? [] } : {}))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/_matrix/push/v1/notify`,
    requests,
    answers,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (requests.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`the gateway got ${requests.length} requests, not ${count}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) =>
        server.close(() => {
          resolve()
        }),
      )
    },
  }
}

let notifyValidator: ValidateFunction | undefined

/** The problems with a notify request body per push-gateway/push_notifier.yaml; empty if none. */
export function notifyRequestProblems(body: unknown): string[] {
  if (notifyValidator === undefined) {
    const file = join(specDir(), 'data', 'api', 'push-gateway', 'push_notifier.yaml')
    const doc = parseYaml(readFileSync(file, 'utf8')) as {
      paths: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: object }> } } }
      >
    }
    const schema = doc.paths['/notify']?.post.requestBody.content['application/json']?.schema
    if (schema === undefined) throw new Error('push_notifier.yaml has no /notify request schema')
    const ajv = new Ajv2020({
      strict: false,
      allErrors: true,
      formats: { int64: { type: 'number', validate: Number.isSafeInteger } },
    })
    notifyValidator = ajv.compile(schema)
  }
  const validate = notifyValidator
  if (validate(body)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? 'is invalid'}`)
}
