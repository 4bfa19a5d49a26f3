/**
 * Users' push rulesets for the processor, kept between batches. Before each batch the cache
 * drops the users whose `m.push_rules` changed since the last check (one indexed query, whatever
 * process made the change), so a rule change applies from the next batch on.
 */
import type { PushRuleset, UserId } from '@rhizome/core'
import type { PushStore } from '../storage/push-store.js'
import { effectiveRuleset } from './user-ruleset.js'

/** Rulesets kept; past this the cache starts over (rulesets are cheap to read back). */
export const RULESET_CACHE_SIZE = 100_000

export class RulesetCache {
  readonly #push: PushStore
  readonly #rulesets = new Map<UserId, PushRuleset>()
  /** Users with nothing stored: their rules are the defaults (see isDefault). */
  readonly #defaults = new Set<UserId>()
  #checkedUpTo: number | undefined

  constructor(push: PushStore) {
    this.#push = push
  }

  /** Forgets the rulesets that changed up to `position`. */
  async refresh(position: number): Promise<void> {
    if (this.#checkedUpTo === undefined || this.#rulesets.size === 0) {
      this.#checkedUpTo = Math.max(this.#checkedUpTo ?? 0, position)
      return
    }
    if (position <= this.#checkedUpTo) return
    for (const userId of await this.#push.pushRulesChanged(this.#checkedUpTo, position)) {
      this.#rulesets.delete(userId)
      this.#defaults.delete(userId)
    }
    this.#checkedUpTo = position
  }

  /**
   * Whether the user's rules are the server defaults, unchanged: then only the two rules that
   * name the user (invites and mentions) can tell them apart from anyone else's.
   */
  isDefault(userId: UserId): boolean {
    return this.#defaults.has(userId)
  }

  /** The rulesets of the users, reading those not cached in one query. */
  async load(userIds: readonly UserId[]): Promise<ReadonlyMap<UserId, PushRuleset>> {
    let missing = userIds.filter((userId) => !this.#rulesets.has(userId))
    if (missing.length > 0) {
      if (this.#rulesets.size + missing.length > RULESET_CACHE_SIZE) {
        this.#rulesets.clear()
        this.#defaults.clear()
        missing = [...userIds]
      }
      const stored = await this.#push.pushRulesOf(missing)
      for (const userId of missing) {
        const content = stored.get(userId)
        this.#rulesets.set(userId, effectiveRuleset(userId, content))
        if (content === undefined) this.#defaults.add(userId)
      }
    }
    return this.#rulesets
  }
}
