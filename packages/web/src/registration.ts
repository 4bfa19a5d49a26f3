/** The fields a registration request carries; `auth` is added once the server asks for it. */
export interface RegistrationRequest {
  readonly username: string
  readonly password: string
  readonly initial_device_display_name: string
  readonly auth?: { readonly type: string; readonly session?: string }
}

export interface RegistrationResult {
  readonly user_id: string
  readonly device_id?: string
  readonly access_token?: string
}

/** The shape of a 401 user-interactive authentication challenge. */
interface AuthChallenge {
  readonly session?: string
  readonly flows: readonly { readonly stages: readonly string[] }[]
}

export class RegistrationUnsupportedError extends Error {}

/** Extracts a UIA challenge from a failed request, if that is what the failure was. */
export function authChallenge(error: unknown): AuthChallenge | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { httpStatus, data } = error as { httpStatus?: unknown; data?: unknown }
  if (httpStatus !== 401 || typeof data !== 'object' || data === null) return undefined
  const { session, flows } = data as { session?: unknown; flows?: unknown }
  if (!Array.isArray(flows)) return undefined
  const parsedFlows = flows.flatMap((flow: unknown) => {
    if (typeof flow !== 'object' || flow === null) return []
    const stages = (flow as { stages?: unknown }).stages
    if (!Array.isArray(stages) || !stages.every((s): s is string => typeof s === 'string')) {
      return []
    }
    return [{ stages }]
  })
  return typeof session === 'string' ? { session, flows: parsedFlows } : { flows: parsedFlows }
}

/**
 * Registers an account, completing user-interactive authentication with the dummy stage, which
 * is the only stage this client can complete on its own.
 */
export async function registerWithDummyAuth(
  send: (request: RegistrationRequest) => Promise<RegistrationResult>,
  request: RegistrationRequest,
): Promise<RegistrationResult> {
  try {
    return await send(request)
  } catch (error) {
    const challenge = authChallenge(error)
    if (challenge === undefined) throw error
    const dummyOnly = challenge.flows.some(
      (flow) => flow.stages.length === 1 && flow.stages[0] === 'm.login.dummy',
    )
    if (!dummyOnly) {
      throw new RegistrationUnsupportedError(
        'This homeserver needs a registration step this app cannot do (such as a captcha or email).',
      )
    }
    const auth =
      challenge.session === undefined
        ? { type: 'm.login.dummy' }
        : { type: 'm.login.dummy', session: challenge.session }
    return send({ ...request, auth })
  }
}
