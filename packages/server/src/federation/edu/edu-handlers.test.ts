import type { ServerName } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../logging/logger.js'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { createEduHandlers, type EduHandlerDeps } from './edu-handlers.js'

const opened: Storage[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

async function deps(presenceEnabled: boolean): Promise<EduHandlerDeps> {
  const storage = await openStorage('sqlite::memory:')
  opened.push(storage)
  return {
    storage,
    now: Date.now,
    logger: createLogger({ level: 'silent', format: 'json' }),
    serverName: 'test' as ServerName,
    typing: { setRemoteTyping: () => Promise.resolve() },
    presenceEnabled,
  }
}

describe('createEduHandlers', () => {
  it('takes typing, receipts and presence', async () => {
    const handlers = createEduHandlers(await deps(true))
    expect(handlers['m.typing']).toBeDefined()
    expect(handlers['m.receipt']).toBeDefined()
    expect(handlers['m.presence']).toBeDefined()
  })

  it('drops presence when presence is off', async () => {
    const handlers = createEduHandlers(await deps(false))
    expect(handlers['m.typing']).toBeDefined()
    expect(handlers['m.presence']).toBeUndefined()
  })
})
