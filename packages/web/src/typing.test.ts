import { describe, expect, it } from 'vitest'
import { TypingNotifier, typingText } from './typing'

describe('TypingNotifier', () => {
  it('sends one notice when typing starts, renews it, and one when it stops', () => {
    let now = 0
    const sent: boolean[] = []
    const notifier = new TypingNotifier(
      (typing) => sent.push(typing),
      () => now,
    )
    notifier.update(false)
    expect(sent).toEqual([])
    notifier.update(true)
    now = 5_000
    notifier.update(true)
    expect(sent).toEqual([true])
    now = 11_000
    notifier.update(true)
    expect(sent).toEqual([true, true])
    notifier.update(false)
    notifier.update(false)
    expect(sent).toEqual([true, true, false])
    notifier.update(true)
    expect(sent).toEqual([true, true, false, true])
  })
})

describe('typingText', () => {
  it('names up to three people and counts the rest', () => {
    expect(typingText([])).toBe('')
    expect(typingText(['Alice'])).toBe('Alice is typing…')
    expect(typingText(['Alice', 'Bob'])).toBe('Alice and Bob are typing…')
    expect(typingText(['A', 'B', 'C'])).toBe('A, B and C are typing…')
    expect(typingText(['A', 'B', 'C', 'D'])).toBe('A, B and 2 others are typing…')
  })
})
