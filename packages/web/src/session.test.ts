import { describe, expect, it } from 'vitest'
import { MemoryStore, clearSession, loadSession, saveSession } from './session'

const session = {
  baseUrl: 'https://matrix.example.org',
  userId: '@alice:example.org',
  deviceId: 'ABCDEF',
  accessToken: 'syt_secret',
}

describe('session storage', () => {
  it('restores a saved session', () => {
    const store = new MemoryStore()
    saveSession(store, session)
    expect(loadSession(store)).toEqual(session)
  })

  it('forgets the session on sign-out', () => {
    const store = new MemoryStore()
    saveSession(store, session)
    clearSession(store)
    expect(loadSession(store)).toBeUndefined()
  })

  it('ignores damaged or incomplete entries', () => {
    const store = new MemoryStore()
    store.setItem('rhizome.session', '{not json')
    expect(loadSession(store)).toBeUndefined()
    store.setItem('rhizome.session', JSON.stringify({ ...session, accessToken: 3 }))
    expect(loadSession(store)).toBeUndefined()
  })
})
