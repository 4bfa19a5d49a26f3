import { HttpApiEvent } from 'matrix-js-sdk'
import { useEffect, useState } from 'react'
import { signOut, startMatrixClient, type StartedClient } from './clientLifecycle'
import { errorText } from './errorText'
import { Messenger } from './Messenger'
import { outboxKey } from './outbox'
import { SignInScreen } from './SignInScreen'
import { clearSession, loadSession, saveSession, type Session } from './session'

export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession(localStorage))
  const [started, setStarted] = useState<StartedClient | undefined>()
  const [error, setError] = useState<string | undefined>()

  useEffect(() => {
    if (session === undefined) return
    let cancelled = false
    let running: StartedClient | undefined
    const forget = (): void => {
      clearSession(localStorage)
      setSession(undefined)
    }
    startMatrixClient(session).then(
      (result) => {
        running = result
        if (cancelled) {
          result.client.stopClient()
          return
        }
        // The server revoked the token (signed out elsewhere): back to the sign-in screen.
        result.client.on(HttpApiEvent.SessionLoggedOut, forget)
        setStarted(result)
      },
      (caught: unknown) => {
        if (!cancelled) setError(errorText(caught))
      },
    )
    return () => {
      cancelled = true
      running?.client.off(HttpApiEvent.SessionLoggedOut, forget)
      running?.client.stopClient()
      setStarted(undefined)
    }
  }, [session])

  if (session === undefined) {
    return (
      <SignInScreen
        onSession={(next) => {
          saveSession(localStorage, next)
          setError(undefined)
          setSession(next)
        }}
      />
    )
  }
  if (started === undefined) {
    return (
      <main className="loading">
        {error === undefined ? (
          <p role="status">Connecting to {session.baseUrl}…</p>
        ) : (
          <>
            <p role="alert" className="error">
              {error}
            </p>
            <button
              type="button"
              onClick={() => {
                clearSession(localStorage)
                setSession(undefined)
              }}
            >
              Sign out
            </button>
          </>
        )}
      </main>
    )
  }
  return (
    <Messenger
      client={started.client}
      cryptoProblem={started.cryptoProblem}
      onSignOut={() => {
        const { client } = started
        clearSession(localStorage)
        localStorage.removeItem(outboxKey(client.getSafeUserId()))
        setSession(undefined)
        signOut(client).catch(() => {
          // The token may already be gone; the local session is forgotten either way.
        })
      }}
    />
  )
}
