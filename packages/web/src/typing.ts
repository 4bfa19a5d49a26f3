/** How long the server shows the user as typing after a notice, unless told otherwise. */
export const TYPING_TIMEOUT_MS = 15_000
// Renewed before the server's timeout runs out, so a long message keeps the indicator on.
const REFRESH_MS = 10_000

/**
 * Turns every keystroke into as few typing notices as the indicator needs: one when typing
 * starts, a renewal while it goes on, and one when it stops.
 */
export class TypingNotifier {
  #active = false
  #lastSent = 0
  readonly #send: (typing: boolean) => void
  readonly #now: () => number

  constructor(send: (typing: boolean) => void, now: () => number = Date.now) {
    this.#send = send
    this.#now = now
  }

  update(typing: boolean): void {
    const now = this.#now()
    if (typing) {
      if (this.#active && now - this.#lastSent < REFRESH_MS) return
      this.#active = true
      this.#lastSent = now
      this.#send(true)
    } else if (this.#active) {
      this.#active = false
      this.#send(false)
    }
  }
}

/** The line under the timeline that says who is typing, or '' when nobody is. */
export function typingText(names: readonly string[]): string {
  const [first, second, third] = names
  if (first === undefined) return ''
  if (second === undefined) return `${first} is typing…`
  if (third === undefined) return `${first} and ${second} are typing…`
  if (names.length === 3) return `${first}, ${second} and ${third} are typing…`
  return `${first}, ${second} and ${names.length - 2} others are typing…`
}
