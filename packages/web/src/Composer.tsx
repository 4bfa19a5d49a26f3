import { useId, useState, type SubmitEvent, type KeyboardEvent } from 'react'

interface Props {
  readonly roomName: string
  readonly onSend: (text: string) => void
}

export function Composer({ roomName, onSend }: Props) {
  const [text, setText] = useState('')
  const id = useId()

  function send(): void {
    if (text.trim() === '') return
    onSend(text)
    setText('')
  }

  function onSubmit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    send()
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    // Enter sends; Shift+Enter and input-method composition keep their usual meaning.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault()
      send()
    }
  }

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={id} className="visually-hidden">
        Message
      </label>
      <textarea
        id={id}
        rows={2}
        value={text}
        placeholder={`Message ${roomName}`}
        onChange={(e) => {
          setText(e.target.value)
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit">Send</button>
    </form>
  )
}
