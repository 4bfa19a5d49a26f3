import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../logging/logger.js'
import { lineCollector } from '../testing/capture-logs.js'
import { LazyChildLogger } from './lazy-child-logger.js'

function setUp() {
  const lines: string[] = []
  const parent = createLogger({ level: 'info', format: 'json' }, lineCollector(lines))
  let children = 0
  // Counts the children made of the parent; the children themselves are plain pino ones.
  const counting = Object.assign(Object.create(parent) as FastifyBaseLogger, {
    child: (bindings: Bindings, options?: ChildLoggerOptions) => {
      children++
      return parent.child(bindings, options)
    },
  })
  const lazy = new LazyChildLogger(counting, { request_id: 'r-1' }, {})
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { lazy, entries, children: () => children }
}

describe('LazyChildLogger', () => {
  it('makes no child logger until something logs', () => {
    const { lazy, children } = setUp()
    expect(lazy.level).toBe('info')
    expect(children()).toBe(0)
  })

  it('logs with the bindings, through one child made on first use', () => {
    const { lazy, entries, children } = setUp()
    lazy.info({ n: 1 }, 'first')
    lazy.warn('second')
    lazy.debug('below the level')
    expect(children()).toBe(1)
    expect(entries()).toMatchObject([
      { level: 30, msg: 'first', n: 1, request_id: 'r-1' },
      { level: 40, msg: 'second', request_id: 'r-1' },
    ])
  })

  it('keeps the parent redaction and hands out grandchildren with both bindings', () => {
    const { lazy, entries } = setUp()
    lazy.child({ step: 'login' }).error({ password: 'pw-secret' }, 'failed')
    expect(entries()).toMatchObject([{ level: 50, request_id: 'r-1', step: 'login' }])
    expect(JSON.stringify(entries())).not.toContain('pw-secret')
  })
})
