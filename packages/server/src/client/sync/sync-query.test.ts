import { describe, expect, it } from 'vitest'
import { DEFAULT_SYNC_FILTER } from '../../sync/filter/sync-filter.js'
import { MAX_INLINE_FILTER_LENGTH, parseFilterParam, parseSyncQuery } from './sync.js'

const parse = (query: string): ReturnType<typeof parseSyncQuery> =>
  parseSyncQuery(new URLSearchParams(query))

describe('parseSyncQuery', () => {
  it('has defaults for everything', () => {
    expect(parse('')).toEqual({
      ok: true,
      value: {
        since: undefined,
        filter: { kind: 'none' },
        fullState: false,
        timeoutMs: 0,
        useStateAfter: false,
        setPresence: 'online',
      },
    })
  })

  it('reads every parameter', () => {
    expect(
      parse(
        'since=t42&timeout=30000&full_state=true&use_state_after=true&set_presence=unavailable&filter=7',
      ),
    ).toEqual({
      ok: true,
      value: {
        since: 42,
        filter: { kind: 'stored', filterId: '7' },
        fullState: true,
        timeoutMs: 30000,
        useStateAfter: true,
        setPresence: 'unavailable',
      },
    })
    expect(parse('set_presence=offline')).toMatchObject({
      ok: true,
      value: { setPresence: 'offline' },
    })
    expect(parse('full_state=false&use_state_after=false')).toMatchObject({
      ok: true,
      value: { fullState: false, useStateAfter: false },
    })
  })

  it('takes a huge timeout (the service caps it) but nothing that is not a number', () => {
    expect(parse('timeout=999999999999999')).toMatchObject({
      ok: true,
      value: { timeoutMs: 999999999999999 },
    })
    for (const bad of ['1e3', '1.5', '', '-0', 'x', '9999999999999999']) {
      expect(parse(`timeout=${bad}`), bad).toMatchObject({
        ok: false,
        error: { errcode: 'M_INVALID_PARAM' },
      })
    }
  })

  it('refuses malformed flags, presence and tokens', () => {
    for (const query of [
      'full_state=1',
      'use_state_after=TRUE',
      'set_presence=away',
      'since=',
      'since=t',
    ]) {
      expect(parse(query), query).toMatchObject({
        ok: false,
        error: { errcode: 'M_INVALID_PARAM' },
      })
    }
  })
})

describe('parseFilterParam', () => {
  it('tells IDs from inline JSON by the first character', () => {
    expect(parseFilterParam(null)).toEqual({ ok: true, value: { kind: 'none' } })
    expect(parseFilterParam('')).toEqual({ ok: true, value: { kind: 'none' } })
    expect(parseFilterParam('abc')).toEqual({
      ok: true,
      value: { kind: 'stored', filterId: 'abc' },
    })
    expect(parseFilterParam('{}')).toEqual({
      ok: true,
      value: { kind: 'inline', filter: DEFAULT_SYNC_FILTER },
    })
    // A space first is no inline filter: it is an ID (that names nothing).
    expect(parseFilterParam(' {}')).toMatchObject({ ok: true, value: { kind: 'stored' } })
  })

  it('refuses inline filters that are not JSON objects of the right shape, or too long', () => {
    expect(parseFilterParam('{"a":')).toMatchObject({ ok: false, error: { errcode: 'M_NOT_JSON' } })
    expect(parseFilterParam('{"a":1,"a":2}')).toMatchObject({ ok: false })
    expect(parseFilterParam('{"room":{"timeline":{"limit":-1}}}')).toMatchObject({
      ok: false,
      error: { errcode: 'M_BAD_JSON' },
    })
    const long = `{"x":"${'a'.repeat(MAX_INLINE_FILTER_LENGTH)}"}`
    expect(parseFilterParam(long)).toMatchObject({
      ok: false,
      error: { errcode: 'M_INVALID_PARAM' },
    })
    const deep = `${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}`
    expect(parseFilterParam(deep)).toMatchObject({ ok: false })
  })
})
