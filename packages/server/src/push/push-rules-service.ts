/**
 * Users' push rules, read and changed through their `m.push_rules` account data. Every change is
 * one read-modify-write transaction (AccountDataStore.update), so two clients changing rules at
 * once cannot lose each other's change; the change moves the stream, which wakes the user's syncs
 * and tells push processors (in any process) to read the rules again.
 */
import { err, ok, type PushRuleset, type Result, type UserId } from '@rhizome/core'
import type { ServerError } from '../http/errors.js'
import type { AccountDataStore } from '../storage/interface.js'
import { effectiveRuleset, PUSH_RULES_TYPE, rulesetContent } from './user-ruleset.js'

export class PushRulesService {
  readonly #accountData: AccountDataStore

  constructor(accountData: AccountDataStore) {
    this.#accountData = accountData
  }

  async ruleset(userId: UserId): Promise<PushRuleset> {
    return effectiveRuleset(userId, await this.#accountData.get(userId, undefined, PUSH_RULES_TYPE))
  }

  /** Applies `change` to the user's current rules and stores the result, or answers its error. */
  async change(
    userId: UserId,
    change: (ruleset: PushRuleset) => Result<PushRuleset, ServerError>,
  ): Promise<Result<void, ServerError>> {
    let failure: ServerError | undefined
    await this.#accountData.update(userId, undefined, PUSH_RULES_TYPE, (stored) => {
      const changed = change(effectiveRuleset(userId, stored))
      if (!changed.ok) {
        failure = changed.error
        return undefined
      }
      return rulesetContent(changed.value)
    })
    return failure === undefined ? ok(undefined) : err(failure)
  }
}
