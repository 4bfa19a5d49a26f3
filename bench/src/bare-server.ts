import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'

/**
 * The baseline: a bare node:http server that answers the requests the benchmark sends with
 * responses of the same shape, doing no Matrix work at all. Sends read and parse the body and
 * answer an event ID; a sync long-poll waits until the next send and then answers it.
 */
export interface BareServer {
  readonly baseUrl: string
  close(): Promise<void>
}

export async function startBareServer(): Promise<BareServer> {
  let position = 0
  let waiters: ((position: number) => void)[] = []

  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    response.setHeader('content-type', 'application/json')
    if (request.method === 'PUT' && url.pathname.includes('/send/')) {
      const content: unknown = JSON.parse(body)
      if (typeof content !== 'object' || content === null) {
        response.statusCode = 400
        response.end('{}')
        return
      }
      position++
      const current = waiters
      waiters = []
      for (const wake of current) wake(position)
      response.end(JSON.stringify({ event_id: `$${randomBytes(32).toString('base64url')}` }))
      return
    }
    if (request.method === 'GET' && url.pathname.endsWith('/sync')) {
      const since = Number(url.searchParams.get('since')?.slice(1) ?? '0')
      const timeoutMs = Number(url.searchParams.get('timeout') ?? '0')
      let answered = false
      const answer = (at: number): void => {
        if (answered) return
        answered = true
        response.end(JSON.stringify({ next_batch: `s${at}`, rooms: { join: {} } }))
      }
      if (position > since || timeoutMs <= 0) {
        answer(position)
        return
      }
      waiters.push(answer)
      setTimeout(() => {
        answer(position)
      }, timeoutMs)
      return
    }
    response.statusCode = 404
    response.end('{"errcode":"M_UNRECOGNIZED"}')
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
    })
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks).toString('utf8'))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}
