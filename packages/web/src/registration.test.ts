import { describe, expect, it } from 'vitest'
import {
  RegistrationUnsupportedError,
  registerWithDummyAuth,
  type RegistrationRequest,
} from './registration'

const request = { username: 'alice', password: 'pw', initial_device_display_name: 'Rhizome web' }

function challenge(stages: string[][]): Error & { httpStatus: number; data: unknown } {
  return Object.assign(new Error('401'), {
    httpStatus: 401,
    data: { session: 'S1', flows: stages.map((s) => ({ stages: s })) },
  })
}

describe('registerWithDummyAuth', () => {
  it('answers the 401 challenge with the dummy stage and its session', async () => {
    const sent: RegistrationRequest[] = []
    const result = await registerWithDummyAuth((r) => {
      sent.push(r)
      if (r.auth === undefined) return Promise.reject(challenge([['m.login.dummy']]))
      return Promise.resolve({ user_id: '@alice:hs', device_id: 'D', access_token: 'T' })
    }, request)
    expect(result.user_id).toBe('@alice:hs')
    expect(sent).toHaveLength(2)
    expect(sent[1]?.auth).toEqual({ type: 'm.login.dummy', session: 'S1' })
    expect(sent[1]?.username).toBe('alice')
  })

  it('refuses flows it cannot complete', async () => {
    await expect(
      registerWithDummyAuth(() => Promise.reject(challenge([['m.login.recaptcha']])), request),
    ).rejects.toBeInstanceOf(RegistrationUnsupportedError)
  })

  it('passes other errors through', async () => {
    const taken = Object.assign(new Error('M_USER_IN_USE'), { httpStatus: 400, data: {} })
    await expect(registerWithDummyAuth(() => Promise.reject(taken), request)).rejects.toBe(taken)
  })
})
