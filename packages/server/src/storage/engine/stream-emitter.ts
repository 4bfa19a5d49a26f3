import type { StreamListener, StreamNotification, StreamNotifier } from '../interface.js'

/**
 * Delivers notifications to this process's listeners. A listener that throws is reported and
 * stays subscribed: one broken waiter must not stop the others from waking, nor fail the write
 * that triggered the notification.
 */
export class StreamEmitter implements StreamNotifier {
  readonly #listeners = new Set<StreamListener>()
  readonly #onListenerError: (error: unknown) => void

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError
  }

  subscribe(listener: StreamListener): () => void {
    // A wrapper per subscription, so the same function can be subscribed twice and removed once.
    const entry: StreamListener = (notification) => {
      listener(notification)
    }
    this.#listeners.add(entry)
    return () => {
      this.#listeners.delete(entry)
    }
  }

  emit(notification: StreamNotification): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(notification)
      } catch (error) {
        this.#onListenerError(error)
      }
    }
  }

  get listenerCount(): number {
    return this.#listeners.size
  }
}
