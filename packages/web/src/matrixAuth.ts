import { createClient } from 'matrix-js-sdk'
import { withRateLimitRetry } from './rateLimit'
import { registerWithDummyAuth } from './registration'
import type { Session } from './session'

const DEVICE_NAME = 'Rhizome web'

/** Signs in with a password and returns the new session. */
export async function signIn(
  baseUrl: string,
  username: string,
  password: string,
): Promise<Session> {
  const client = createClient({ baseUrl })
  const response = await withRateLimitRetry(() =>
    client.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password,
      initial_device_display_name: DEVICE_NAME,
    }),
  )
  return {
    baseUrl,
    userId: response.user_id,
    deviceId: response.device_id,
    accessToken: response.access_token,
  }
}

/** Creates an account and returns a session for it. */
export async function createAccount(
  baseUrl: string,
  username: string,
  password: string,
): Promise<Session> {
  const client = createClient({ baseUrl })
  const response = await registerWithDummyAuth(
    (request) => withRateLimitRetry(() => client.registerRequest(request)),
    {
      username,
      password,
      initial_device_display_name: DEVICE_NAME,
    },
  )
  if (response.access_token === undefined || response.device_id === undefined) {
    throw new Error('The homeserver created the account but did not sign it in.')
  }
  return {
    baseUrl,
    userId: response.user_id,
    deviceId: response.device_id,
    accessToken: response.access_token,
  }
}
