import { useState, type SubmitEvent } from 'react'
import { resolveHomeserver } from './discovery'
import { errorText } from './errorText'
import { createAccount, signIn } from './matrixAuth'
import type { Session } from './session'

interface Props {
  readonly onSession: (session: Session) => void
}

export function SignInScreen({ onSession }: Props) {
  const [homeserver, setHomeserver] = useState(window.location.origin)
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()

  async function submit(mode: 'sign-in' | 'register'): Promise<void> {
    setBusy(true)
    setError(undefined)
    try {
      const baseUrl = await resolveHomeserver(homeserver, window.location.origin, (url) =>
        fetch(url),
      )
      const act = mode === 'sign-in' ? signIn : createAccount
      onSession(await act(baseUrl, username.trim(), password))
    } catch (caught) {
      setError(errorText(caught))
      setBusy(false)
    }
  }

  function onSubmit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    const submitter = event.nativeEvent.submitter
    void submit(submitter?.getAttribute('value') === 'register' ? 'register' : 'sign-in')
  }

  return (
    <main className="sign-in">
      <h1>Rhizome</h1>
      <form onSubmit={onSubmit} aria-label="Sign in">
        <label>
          Homeserver
          <input
            name="homeserver"
            value={homeserver}
            onChange={(e) => {
              setHomeserver(e.target.value)
            }}
            autoComplete="url"
            inputMode="url"
          />
        </label>
        <label>
          Username
          <input
            name="username"
            value={username}
            onChange={(e) => {
              setUsername(e.target.value)
            }}
            autoComplete="username"
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value)
            }}
            autoComplete="current-password"
            required
          />
        </label>
        {error === undefined ? null : (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" value="sign-in" disabled={busy}>
            Sign in
          </button>
          <button type="submit" value="register" disabled={busy} className="secondary">
            Create account
          </button>
        </div>
      </form>
    </main>
  )
}
