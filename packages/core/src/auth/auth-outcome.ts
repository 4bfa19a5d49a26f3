/**
 * The result of an authorization check. A rejection is data, not an error: the service maps it to
 * M_FORBIDDEN for a client, and federation records the event as rejected.
 */
export type AuthRuleId = `auth.${string}`

export type AuthOutcome =
  | { readonly kind: 'allowed' }
  | {
      readonly kind: 'rejected'
      /** The rule that rejected the event, numbered as in its room version (see rule-ids.ts). */
      readonly rule: AuthRuleId
      readonly reason: string
    }

export const ALLOWED: AuthOutcome = Object.freeze({ kind: 'allowed' })

export function reject(rule: AuthRuleId, reason: string): AuthOutcome {
  return { kind: 'rejected', rule, reason }
}
