import type { Dispatcher } from 'undici'

/** What the federation transport asks of its connection pool. */
export interface RequestDispatcher {
  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>
  close(): Promise<void>
}

/**
 * A connection pool made on the first request: undici, and the HTTP parser it compiles, cost a
 * server that never talks to another one about 20 MB, so they are loaded only when it does.
 */
export class LazyAgent implements RequestDispatcher {
  readonly #make: () => Promise<RequestDispatcher>
  #agent: Promise<RequestDispatcher> | undefined
  #closed = false

  constructor(make: () => Promise<RequestDispatcher>) {
    this.#make = make
  }

  async request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    if (this.#closed) throw new Error('the federation connection pool is closed')
    this.#agent ??= this.#make()
    return (await this.#agent).request(options)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#agent !== undefined) await (await this.#agent).close()
  }
}
