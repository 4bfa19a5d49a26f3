/**
 * The thread of an event for its push actions (client-server-api §Threaded read receipts):
 * `m.thread` relations directly, other relations through their parent, at most three hops.
 */
import { MAIN_THREAD, MAX_THREAD_HOPS, threadStep, type EventId, type Pdu } from '@rhizome/core'
import type { EventStore } from '../storage/interface.js'

/** Threads of recent events, so reactions and edits to them need no read. */
const REMEMBERED = 10_000

export class ThreadResolver {
  readonly #events: EventStore
  readonly #threads = new Map<string, string>()

  constructor(events: EventStore) {
    this.#events = events
  }

  async threadOf(pdu: Pdu): Promise<string> {
    const known = this.#threads.get(pdu.eventId)
    if (known !== undefined) return known
    let step = threadStep(pdu.content)
    for (let hop = 0; hop < MAX_THREAD_HOPS && step.kind === 'parent'; hop++) {
      const remembered = this.#threads.get(step.eventId)
      if (remembered !== undefined) {
        step =
          remembered === MAIN_THREAD ? { kind: 'main' } : { kind: 'thread', rootId: remembered }
        break
      }
      const parent = await this.#events.getEvent(step.eventId as EventId)
      if (parent === undefined || parent.pdu.roomId !== pdu.roomId) {
        step = { kind: 'main' }
        break
      }
      step = threadStep(parent.pdu.content)
    }
    const thread = step.kind === 'thread' ? step.rootId : MAIN_THREAD
    this.remember(pdu.eventId, thread)
    return thread
  }

  remember(eventId: EventId, thread: string): void {
    if (this.#threads.size >= REMEMBERED) this.#threads.clear()
    this.#threads.set(eventId, thread)
  }
}
