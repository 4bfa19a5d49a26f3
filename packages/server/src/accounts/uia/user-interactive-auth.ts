import { createHash } from 'node:crypto'
import {
  canonicalJson,
  err,
  ok,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import {
  badJson,
  forbidden,
  limitExceeded,
  serverError,
  type ServerError,
} from '../../http/errors.js'
import type { RateLimiter } from '../../rate-limit/rate-limiter.js'
import type { AccountStore } from '../../storage/interface.js'
import { generateSessionId } from '../credentials.js'
import { parseLoginIdentifier } from '../login-identifier.js'
import type { PasswordChecker } from '../password-checker.js'
import type { AuthDict } from './auth-dict.js'
import type { UiaSession, UiaSessionStore } from '../../storage/uia-session-store.js'

/** The stages this server offers (client-server-api §Authentication types). */
export type UiaStage = 'm.login.dummy' | 'm.login.password' | 'm.login.registration_token'

export const REGISTRATION_TOKEN_STAGE = 'm.login.registration_token'

/** What a request wants to do, and the flows that may authorise it. */
export interface UiaOperation {
  /** 'register', 'password', 'deactivate', 'delete_devices'. */
  readonly kind: string
  /** The account acted on (the requester); required for m.login.password. */
  readonly userId?: UserId
  /** What the session is bound to besides kind and user, e.g. the devices to delete. */
  readonly params?: JsonValue
  readonly flows: readonly (readonly UiaStage[])[]
}

export interface UiaPassed {
  readonly sessionId: string
  /** The completed stages and what each recorded (the reserved registration token). */
  readonly completed: ReadonlyMap<string, string>
}

export interface UiaOptions {
  readonly sessions: UiaSessionStore
  readonly accounts: AccountStore
  readonly passwords: PasswordChecker
  readonly rateLimiter: RateLimiter
  readonly now: () => number
  /** How long a session lives (default one hour); a registration token stays reserved as long. */
  readonly sessionLifetimeMs?: number
}

export const DEFAULT_UIA_SESSION_LIFETIME_MS = 60 * 60 * 1000
/** Expired sessions are swept at most this often by each process, when sessions are created. */
const SWEEP_INTERVAL_MS = 60 * 1000
const SWEEP_BATCH = 1000
/** appendices §Opaque Identifiers, and at most 64 characters for a registration token. */
const REGISTRATION_TOKEN = /^[A-Za-z0-9._~-]{1,64}$/

/** A stage attempt: what it records, a failure to report in the 401, or a request error. */
type StageOutcome =
  | { readonly kind: 'passed'; readonly result: string }
  | { readonly kind: 'failed'; readonly error: ServerError }
  | { readonly kind: 'request-error'; readonly error: ServerError }

/**
 * User-interactive authentication (client-server-api §User-Interactive Authentication API). A
 * request without `auth` gets a 401 with the flows and a new session; each attempt at a stage is
 * checked and recorded in the session; once every stage of some flow is complete, `run` passes and
 * the caller performs the operation, then calls `finish`. Sessions live in the database, so the
 * stages of one session may be handled by different server processes.
 */
export class UserInteractiveAuth {
  private readonly lifetimeMs: number
  private lastSweep = Number.NEGATIVE_INFINITY

  constructor(private readonly options: UiaOptions) {
    this.lifetimeMs = options.sessionLifetimeMs ?? DEFAULT_UIA_SESSION_LIFETIME_MS
  }

  async run(
    operation: UiaOperation,
    auth: AuthDict | undefined,
  ): Promise<Result<UiaPassed, ServerError>> {
    const now = this.options.now()
    const paramsHash = hashOperation(operation)
    if (auth?.session === undefined) {
      const sessionId = await this.createSession(operation, paramsHash, now)
      // A request without auth never succeeds, even when a flow is only m.login.dummy.
      if (auth?.type === undefined) return err(challenge(operation, sessionId, undefined))
      return this.attemptIn(operation, auth, sessionId, new Map(), now)
    }
    const session = await this.options.sessions.getSession(auth.session)
    if (session === undefined || session.expiresTs <= now) {
      return err(serverError('M_UNKNOWN', 'Unknown or expired session ID', { status: 400 }))
    }
    if (
      session.kind !== operation.kind ||
      session.userId !== operation.userId ||
      session.paramsHash !== paramsHash
    ) {
      return err(forbidden('The requested operation changed during the authentication session'))
    }
    return this.attemptIn(operation, auth, session.sessionId, session.completed, now)
  }

  /** Ends a session whose operation has been performed; returns it, once, to whoever asks first. */
  finish(sessionId: string): Promise<UiaSession | undefined> {
    return this.options.sessions.takeSession(sessionId)
  }

  /**
   * A single-use nonce of `kind` (shared-secret registration), kept as a session so that every
   * server process knows it and it is consumed once.
   */
  async createNonce(kind: string, lifetimeMs: number): Promise<string> {
    const now = this.options.now()
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) await this.sweep(now)
    const nonce = generateSessionId(32)
    await this.options.sessions.createSession({
      sessionId: nonce,
      kind,
      paramsHash: '',
      createdTs: now,
      expiresTs: now + lifetimeMs,
    })
    return nonce
  }

  /** Whether `nonce` is a live nonce of `kind`. It is used up by asking, whatever the answer. */
  async consumeNonce(kind: string, nonce: string): Promise<boolean> {
    // Looked at first, so that a nonce request can never end an interactive-auth session.
    const found = await this.options.sessions.getSession(nonce)
    if (found === undefined || found.kind !== kind) return false
    const taken = await this.options.sessions.takeSession(nonce)
    return taken !== undefined && taken.expiresTs > this.options.now()
  }

  /** Deletes expired sessions and releases the registration tokens they had reserved. */
  async sweep(now: number): Promise<number> {
    this.lastSweep = now
    let swept = 0
    for (;;) {
      const expired = await this.options.sessions.deleteExpiredSessions(now, SWEEP_BATCH)
      for (const session of expired) await this.releaseReservation(session.completed)
      swept += expired.length
      if (expired.length < SWEEP_BATCH) return swept
    }
  }

  /** Gives back the registration token use that a session reserved and will not complete. */
  async releaseReservation(completed: ReadonlyMap<string, string>): Promise<void> {
    const token = completed.get(REGISTRATION_TOKEN_STAGE)
    if (token !== undefined) await this.options.accounts.releaseRegistrationToken(token)
  }

  private async createSession(
    operation: UiaOperation,
    paramsHash: string,
    now: number,
  ): Promise<string> {
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) await this.sweep(now)
    const sessionId = generateSessionId()
    await this.options.sessions.createSession({
      sessionId,
      kind: operation.kind,
      ...(operation.userId === undefined ? {} : { userId: operation.userId }),
      paramsHash,
      createdTs: now,
      expiresTs: now + this.lifetimeMs,
    })
    return sessionId
  }

  private async attemptIn(
    operation: UiaOperation,
    auth: AuthDict,
    sessionId: string,
    alreadyCompleted: ReadonlyMap<string, string>,
    now: number,
  ): Promise<Result<UiaPassed, ServerError>> {
    let completed = new Map(alreadyCompleted)
    let failure: ServerError | undefined
    const stage = auth.type
    // A stage completed before is not run again (the spec forbids retrying completed stages).
    if (stage !== undefined && !completed.has(stage)) {
      const outcome = await this.attempt(operation, stage, auth.fields, completed, now)
      if (outcome.kind === 'request-error') return err(outcome.error)
      if (outcome.kind === 'failed') {
        failure = outcome.error
      } else if (await this.options.sessions.completeStage(sessionId, stage, outcome.result)) {
        completed.set(stage, outcome.result)
      } else {
        // Another request completed this stage meanwhile, or the session ended: undo ours.
        await this.releaseReservation(new Map([[stage, outcome.result]]))
        const current = await this.options.sessions.getSession(sessionId)
        if (current === undefined) {
          return err(serverError('M_UNKNOWN', 'Unknown or expired session ID', { status: 400 }))
        }
        completed = new Map(current.completed)
      }
    }
    if (
      failure === undefined &&
      operation.flows.some((flow) => flow.every((s) => completed.has(s)))
    ) {
      return ok({ sessionId, completed })
    }
    return err(challenge(operation, sessionId, completed, failure))
  }

  private async attempt(
    operation: UiaOperation,
    stage: string,
    fields: JsonObject,
    completed: ReadonlyMap<string, string>,
    now: number,
  ): Promise<StageOutcome> {
    const offered = operation.flows.filter((flow) => flow.some((s) => s === stage))
    const known = offered[0]?.find((s) => s === stage)
    if (known === undefined) {
      return failed(
        serverError(
          'M_UNRECOGNIZED',
          `Authentication type ${JSON.stringify(stage)} is not offered`,
        ),
      )
    }
    const inOrder = offered.some((flow) =>
      flow
        .slice(
          0,
          flow.findIndex((s) => s === stage),
        )
        .every((s) => completed.has(s)),
    )
    if (!inOrder) return failed(forbidden('Complete the earlier stages of the flow first'))
    switch (known) {
      case 'm.login.dummy':
        return { kind: 'passed', result: '' }
      case 'm.login.password':
        return this.passwordStage(operation, fields)
      case 'm.login.registration_token':
        return this.registrationTokenStage(fields, now)
    }
  }

  private async passwordStage(operation: UiaOperation, fields: JsonObject): Promise<StageOutcome> {
    const userId = operation.userId
    if (userId === undefined)
      throw new Error('m.login.password offered for an operation without a user')
    const identifier = parseLoginIdentifier(fields)
    if (!identifier.ok) return { kind: 'request-error', error: identifier.error }
    const password = fields['password']
    if (typeof password !== 'string') {
      return { kind: 'request-error', error: badJson('auth.password must be a string') }
    }
    const limit = await this.options.rateLimiter.take('login', `uia:${userId}`)
    if (!limit.allowed) return { kind: 'request-error', error: limitExceeded(limit.retryAfterMs) }
    const user = await this.options.passwords.check(identifier.value, password)
    if (!user.ok) return failed(forbidden('Invalid password'))
    if (user.value.userId !== userId) {
      return failed(forbidden('The password must be that of the account making the request'))
    }
    return { kind: 'passed', result: '' }
  }

  private async registrationTokenStage(fields: JsonObject, now: number): Promise<StageOutcome> {
    const token = fields['token']
    if (token === undefined) {
      return {
        kind: 'request-error',
        error: serverError('M_MISSING_PARAM', 'auth.token is required'),
      }
    }
    if (typeof token !== 'string') {
      return { kind: 'request-error', error: badJson('auth.token must be a string') }
    }
    if (
      !REGISTRATION_TOKEN.test(token) ||
      !(await this.options.accounts.reserveRegistrationToken(token, now))
    ) {
      return failed(serverError('M_UNAUTHORIZED', 'Invalid registration token'))
    }
    return { kind: 'passed', result: token }
  }
}

/** Whether `token` is a well-formed registration token (before asking the database about it). */
export function isRegistrationTokenSyntax(token: string): boolean {
  return REGISTRATION_TOKEN.test(token)
}

function failed(error: ServerError): StageOutcome {
  return { kind: 'failed', error }
}

function hashOperation(operation: UiaOperation): string {
  const description: JsonObject = {
    kind: operation.kind,
    user_id: operation.userId ?? null,
    params: operation.params ?? null,
  }
  return createHash('sha256').update(canonicalJson(description)).digest('base64url')
}

/**
 * The 401 that asks for (more) authentication: the flows, the session and the stages completed.
 * With a failed attempt it also carries that attempt's errcode and error; without one it carries
 * none, as the spec's examples show.
 */
function challenge(
  operation: UiaOperation,
  sessionId: string,
  completed: ReadonlyMap<string, string> | undefined,
  failure?: ServerError,
): ServerError {
  const extra: Record<string, JsonValue> = {
    flows: operation.flows.map((stages) => ({ stages: [...stages] })),
    params: {},
    session: sessionId,
  }
  if (completed !== undefined) extra['completed'] = [...completed.keys()]
  if (failure !== undefined) {
    return serverError(failure.errcode, failure.error, { status: 401, extra })
  }
  return serverError('M_UNAUTHORIZED', 'Additional authentication required', {
    status: 401,
    extra,
    omitErrcode: true,
  })
}
