import { SyncState } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { connectionBanner, nextConnection, serverLabel, type Connection } from './connection'

function after(start: Connection, ...states: (SyncState | null)[]): Connection {
  return states.reduce<Connection>(
    (current, state) => nextConnection(current, { kind: 'sync', state }),
    start,
  )
}

describe('nextConnection', () => {
  it('goes unreachable on a sync error or reconnect and back online when sync recovers', () => {
    expect(after('connecting', SyncState.Prepared)).toBe('online')
    expect(after('online', SyncState.Error)).toBe('unreachable')
    expect(after('online', SyncState.Reconnecting)).toBe('unreachable')
    expect(after('online', SyncState.Error, SyncState.Reconnecting, SyncState.Catchup)).toBe(
      'online',
    )
    expect(after('unreachable', SyncState.Syncing)).toBe('online')
  })

  it('keeps its state when sync stops or has not started', () => {
    expect(after('unreachable', SyncState.Stopped)).toBe('unreachable')
    expect(after('online', null)).toBe('online')
  })

  it('goes unreachable when a request fails on the network, not when the server refuses it', () => {
    const connectionError = Object.assign(new Error('fetch failed'), { name: 'ConnectionError' })
    expect(nextConnection('online', { kind: 'request-failed', error: connectionError })).toBe(
      'unreachable',
    )
    expect(nextConnection('online', { kind: 'request-failed', error: new TypeError('x') })).toBe(
      'unreachable',
    )
    const gateway = Object.assign(new Error('Bad gateway'), { httpStatus: 502 })
    expect(nextConnection('online', { kind: 'request-failed', error: gateway })).toBe('unreachable')
    const forbidden = Object.assign(new Error('Forbidden'), { httpStatus: 403 })
    expect(nextConnection('online', { kind: 'request-failed', error: forbidden })).toBe('online')
  })
})

describe('connectionBanner', () => {
  it('names the server only while it cannot be reached', () => {
    expect(connectionBanner('unreachable', 'example.org')).toBe(
      "Can't reach example.org. Your messages will be sent when it's back.",
    )
    expect(connectionBanner('online', 'example.org')).toBeUndefined()
    expect(connectionBanner('connecting', 'example.org')).toBeUndefined()
  })
})

describe('serverLabel', () => {
  it('shows the host and port of the base URL', () => {
    expect(serverLabel('https://matrix.example.org')).toBe('matrix.example.org')
    expect(serverLabel('http://127.0.0.1:8008/')).toBe('127.0.0.1:8008')
    expect(serverLabel('not a url')).toBe('not a url')
  })
})
