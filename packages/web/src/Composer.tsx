import { useEffect, useId, useRef, useState, type KeyboardEvent, type SubmitEvent } from 'react'

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
  readonly onSend: (text: string) => void
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

  // Editing starts from the message's current text; replying keeps what was typed.
  useEffect(() => {
    if (editing !== undefined) setText(editing.body)
  }, [editing])

  useEffect(() => {
    if (mode !== undefined) textarea.current?.focus()
  }, [mode])

  function send(): void {
    if (text.trim() === '') return
    onSend(text)
    setText('')
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

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    if (event.nativeEvent.isComposing) return
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
          onChange={(e) => {
            setText(e.target.value)
            onTyping(e.target.value !== '')
          }}
          onKeyDown={onKeyDown}
        />
        <button type="submit">Send</button>
      </div>
    </form>
  )
}
