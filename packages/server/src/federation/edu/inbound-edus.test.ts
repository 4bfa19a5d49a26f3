import type { JsonObject, ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { receiveEdus, type EduHandlers } from './inbound-edus.js'

const ORIGIN = 'remote.test' as ServerName

describe('receiveEdus', () => {
  it('hands each EDU to the handler of its type, in order, and drops the rest', async () => {
    const seen: [string, ServerName, JsonObject][] = []
    const handlers: EduHandlers = {
      'm.typing': (origin, content) => {
        seen.push(['m.typing', origin, content])
        return Promise.resolve()
      },
      'm.receipt': (origin, content) => {
        seen.push(['m.receipt', origin, content])
        return Promise.resolve()
      },
    }
    await receiveEdus(
      handlers,
      ORIGIN,
      [
        { edu_type: 'm.receipt', content: { a: 1 } },
        { edu_type: 'm.unknown', content: {} },
        { edu_type: 'm.typing', content: 'not an object' },
        { content: { b: 2 } },
        'not an EDU',
        { edu_type: 'm.typing', content: { c: 3 } },
      ],
      undefined,
    )
    expect(seen).toEqual([
      ['m.receipt', ORIGIN, { a: 1 }],
      ['m.typing', ORIGIN, { c: 3 }],
    ])
  })

  it('goes on past a handler that fails, and logs it', async () => {
    const logged: unknown[] = []
    const seen: JsonObject[] = []
    await receiveEdus(
      {
        'm.presence': () => Promise.reject(new Error('broken')),
        'm.typing': (_origin, content) => {
          seen.push(content)
          return Promise.resolve()
        },
      },
      ORIGIN,
      [
        { edu_type: 'm.presence', content: {} },
        { edu_type: 'm.typing', content: { ok: true } },
      ],
      { debug: () => undefined, info: (obj: unknown) => logged.push(obj) },
    )
    expect(seen).toEqual([{ ok: true }])
    expect(logged).toHaveLength(1)
  })
})
