import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP relay in front of a server's federation port, so that a test can cut the link to it as
 * a network partition would: while cut, connections to it are dropped at once, and those already
 * open (a sender's kept-alive connection) are torn down. TLS passes through untouched.
 */
export class LinkProxy {
  readonly #server: Server
  readonly #open = new Set<Socket>()
  #cut = false

  /** The port other servers connect to. */
  readonly port: number

  private constructor(server: Server, port: number) {
    this.#server = server
    this.port = port
  }

  /** Listens on `port` (127.0.0.1) and relays to `targetPort`. */
  static async start(port: number, targetPort: number): Promise<LinkProxy> {
    const server = createServer()
    const proxy = new LinkProxy(server, port)
    server.on('connection', (inbound) => {
      proxy.#relay(inbound, targetPort)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return proxy
  }

  get isCut(): boolean {
    return this.#cut
  }

  /** Nothing reaches the server behind this relay until heal(). */
  cut(): void {
    this.#cut = true
    for (const socket of this.#open) socket.destroy()
    this.#open.clear()
  }

  heal(): void {
    this.#cut = false
  }

  async close(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve()
      }),
    )
  }

  #relay(inbound: Socket, targetPort: number): void {
    if (this.#cut) {
      inbound.destroy()
      return
    }
    const outbound = connect(targetPort, '127.0.0.1')
    this.#open.add(inbound)
    this.#open.add(outbound)
    const drop = (): void => {
      inbound.destroy()
      outbound.destroy()
      this.#open.delete(inbound)
      this.#open.delete(outbound)
    }
    inbound.on('error', drop).on('close', drop)
    outbound.on('error', drop).on('close', drop)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  }
}
