import { describe, expect, it } from 'vitest'
import { lineCollector } from '../testing/capture-logs.js'
import { createLogger } from './logger.js'

function capture(format: 'json' | 'pretty') {
  const lines: string[] = []
  const logger = createLogger({ level: 'info', format }, lineCollector(lines))
  return { logger, text: () => lines.join('') }
}

describe('createLogger', () => {
  it('writes JSON lines at the configured level', () => {
    const { logger, text } = capture('json')
    logger.debug('hidden')
    logger.info({ n: 1 }, 'shown')
    const entries = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ level: 30, msg: 'shown', n: 1 })
  })

  it('redacts credentials in logged objects', () => {
    const { logger, text } = capture('json')
    logger.info({
      headers: { authorization: 'Bearer s3cr3t-header' },
      access_token: 's3cr3t-top',
      auth: { password: 's3cr3t-pw', type: 'm.login.password' },
      body: { anything: 's3cr3t-body' },
      req: { method: 'GET', url: '/sync?access_token=s3cr3t-url', headers: { authorization: 'x' } },
    })
    expect(text()).not.toMatch(/s3cr3t/)
    expect(text()).toContain('/sync?access_token=[redacted]')
    expect(text()).toContain('m.login.password')
  })

  it('writes readable lines in the pretty format', () => {
    const { logger, text } = capture('pretty')
    logger.warn({ password: 'pw-in-pretty' }, 'careful')
    expect(text()).toContain('WARN')
    expect(text()).toContain('careful')
    expect(text()).not.toContain('pw-in-pretty')
  })
})
