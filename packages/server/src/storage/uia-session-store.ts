import type { UserId } from '@rhizome/core'

/**
 * Sessions of user-interactive authentication (client-server-api §User-Interactive
 * Authentication API), kept in the database because the requests of one session may reach
 * different server processes. The same table holds the single-use nonces of shared-secret
 * registration, which have the same life: created, looked up, consumed once, expired.
 */
export interface UiaSession {
  readonly sessionId: string
  /** What the session authorises: 'register', 'password', 'delete_devices', ... */
  readonly kind: string
  /** The account the session acts on; undefined for a registration. */
  readonly userId: UserId | undefined
  /**
   * A hash of the operation's parameters, so that a session completed for one operation cannot
   * authorise another (another set of devices, another user).
   */
  readonly paramsHash: string
  readonly createdTs: number
  readonly expiresTs: number
  /**
   * The stages completed so far, each with what it recorded (the registration token it reserved,
   * or '' when there is nothing to keep).
   */
  readonly completed: ReadonlyMap<string, string>
}

export interface NewUiaSession {
  readonly sessionId: string
  readonly kind: string
  readonly userId?: UserId
  readonly paramsHash: string
  readonly createdTs: number
  readonly expiresTs: number
}

export interface UiaSessionStore {
  /** Session IDs are random; creating one that exists is a bug and throws. */
  createSession(session: NewUiaSession): Promise<void>
  /** The session, expired or not (the caller compares expiresTs with its clock). */
  getSession(sessionId: string): Promise<UiaSession | undefined>
  /**
   * Records a completed stage. False, and nothing changes, when the session does not exist or the
   * stage was completed already: of two concurrent completions of one stage, exactly one is true.
   */
  completeStage(sessionId: string, stage: string, result: string): Promise<boolean>
  /**
   * Deletes the session and returns it as it was: of concurrent callers, exactly one gets it, so
   * an operation it authorised runs once and a nonce is used once.
   */
  takeSession(sessionId: string): Promise<UiaSession | undefined>
  /**
   * Deletes up to `limit` sessions whose expiresTs is at or before `now` and returns them, so
   * that what they held (a reserved registration token) can be released exactly once.
   */
  deleteExpiredSessions(now: number, limit: number): Promise<readonly UiaSession[]>
}
