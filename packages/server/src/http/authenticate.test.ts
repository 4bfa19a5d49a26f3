import { describe, expect, it } from 'vitest'
import { noAccounts } from './authenticate.js'

describe('noAccounts', () => {
  it('knows no token, and says so with M_UNKNOWN_TOKEN', async () => {
    const result = await noAccounts('anything')
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error.errcode).toBe('M_UNKNOWN_TOKEN')
    expect(!result.ok && result.error.softLogout).toBe(false)
  })
})
