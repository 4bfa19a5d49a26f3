import { useEffect, useId, useRef, useState, type KeyboardEvent, type SubmitEvent } from 'react'
import { insertMention, matchMembers, mentionQuery, type Mentionable } from './mentions'

/** What the next message does besides being a message. */
export type ComposerMode =
  | { readonly kind: 'edit'; readonly eventId: string; readonly body: string }
  | {
      readonly kind: 'reply'
      readonly eventId: string
      readonly senderId: string
      readonly senderName: string
    }

interface Props {
  readonly roomName: string
  readonly mode: ComposerMode | undefined
  /** People who can be mentioned with `@`. */
  readonly members: readonly Mentionable[]
  /** The text, and the members chosen from the suggestions while writing it. */
  readonly onSend: (text: string, mentions: readonly Mentionable[]) => void
  readonly onCancel: () => void
  /** ArrowUp in an empty composer: edit the newest message the user sent. */
  readonly onEditLast: () => void
  readonly onAttach: (file: File) => void
  /** Told whether the user is typing, on every keystroke and when the composer empties. */
  readonly onTyping: (typing: boolean) => void
}

export function Composer({
  roomName,
  mode,
  members,
  onSend,
  onCancel,
  onEditLast,
  onAttach,
  onTyping,
}: Props) {
  const [text, setText] = useState('')
  const id = useId()
  const textarea = useRef<HTMLTextAreaElement>(null)
  const editing = mode?.kind === 'edit' ? mode : undefined
  const [caret, setCaret] = useState(0)
  const [chosen, setChosen] = useState<readonly Mentionable[]>([])
  const [active, setActive] = useState(0)
  const [dismissed, setDismissed] = useState<number | undefined>()
  const query = mentionQuery(text, caret)
  const suggestions =
    query === undefined || query.start === dismissed ? [] : matchMembers(members, query.query)
  const highlighted = suggestions.length === 0 ? 0 : Math.min(active, suggestions.length - 1)

  // Editing starts from the message's current text; replying keeps what was typed.
  useEffect(() => {
    if (editing !== undefined) setText(editing.body)
  }, [editing])

  useEffect(() => {
    if (mode !== undefined) textarea.current?.focus()
  }, [mode])

  function send(): void {
    if (text.trim() === '') return
    onSend(text, chosen)
    setText('')
    setChosen([])
    onTyping(false)
  }

  function cancel(): void {
    if (mode?.kind === 'edit') setText('')
    onCancel()
  }

  function onSubmit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    send()
  }

  function choose(member: Mentionable): void {
    if (query === undefined) return
    const next = insertMention(text, query, member)
    setText(next.text)
    setCaret(next.caret)
    setChosen((current) =>
      current.some((m) => m.userId === member.userId) ? current : [...current, member],
    )
    setActive(0)
    const field = textarea.current
    if (field !== null) {
      field.focus()
      // The new value is in the DOM only after React renders it.
      requestAnimationFrame(() => {
        field.setSelectionRange(next.caret, next.caret)
      })
    }
  }

  function onSuggestionKey(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
    const member = suggestions[highlighted]
    if (member === undefined || query === undefined) return false
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const step = event.key === 'ArrowDown' ? 1 : -1
      setActive((highlighted + step + suggestions.length) % suggestions.length)
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      choose(member)
    } else if (event.key === 'Escape') {
      setDismissed(query.start)
    } else {
      return false
    }
    event.preventDefault()
    return true
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    if (event.nativeEvent.isComposing) return
    if (onSuggestionKey(event)) return
    // Enter sends; Shift+Enter and input-method composition keep their usual meaning.
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault()
      send()
    } else if (event.key === 'ArrowUp' && text === '' && mode === undefined) {
      event.preventDefault()
      onEditLast()
    } else if (event.key === 'Escape' && mode !== undefined) {
      event.preventDefault()
      cancel()
    }
  }

  return (
    <form className="composer" onSubmit={onSubmit}>
      {mode === undefined ? null : (
        <div className="composer-mode">
          <span>{mode.kind === 'edit' ? 'Editing' : `Replying to ${mode.senderName}`}</span>
          <button type="button" className="secondary" onClick={cancel}>
            {mode.kind === 'edit' ? 'Cancel edit' : 'Cancel reply'}
          </button>
        </div>
      )}
      <div className="composer-row">
        {/* The label is the visible button; the input itself stays the one control. */}
        <input
          id={`${id}-file`}
          type="file"
          className="visually-hidden attach-input"
          aria-label="Attach file"
          onChange={(e) => {
            const file = e.target.files?.[0]
            e.target.value = ''
            if (file !== undefined) onAttach(file)
          }}
        />
        <label htmlFor={`${id}-file`} className="attach" title="Attach file">
          Attach
        </label>
        <label htmlFor={id} className="visually-hidden">
          Message
        </label>
        <textarea
          id={id}
          ref={textarea}
          rows={2}
          value={text}
          placeholder={`Message ${roomName}`}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={suggestions.length > 0}
          aria-controls={`${id}-mentions`}
          aria-activedescendant={
            suggestions.length > 0 ? `${id}-mention-${String(highlighted)}` : undefined
          }
          onChange={(e) => {
            setText(e.target.value)
            setCaret(e.target.selectionStart)
            setActive(0)
            onTyping(e.target.value !== '')
          }}
          onSelect={(e) => {
            setCaret(e.currentTarget.selectionStart)
          }}
          onKeyDown={onKeyDown}
        />
        <button type="submit">Send</button>
      </div>
      <ul
        id={`${id}-mentions`}
        role="listbox"
        aria-label="Mention suggestions"
        className="mention-suggestions"
        hidden={suggestions.length === 0}
      >
        {suggestions.map((member, index) => (
          <li
            key={member.userId}
            id={`${id}-mention-${String(index)}`}
            role="option"
            aria-selected={index === highlighted}
            onMouseDown={(e) => {
              // Keeps the focus, and with it the caret, in the message field.
              e.preventDefault()
            }}
            onClick={() => {
              choose(member)
            }}
          >
            <span>{member.name}</span> <span className="member-id">{member.userId}</span>
          </li>
        ))}
      </ul>
    </form>
  )
}
