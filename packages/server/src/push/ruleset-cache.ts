/**
 * Users' push settings for the processor, kept between batches: their push rulesets and whom
 * they ignore (whose events never notify them, client-server-api §Ignoring Users). Before each
 * batch the cache drops the users whose `m.push_rules` or `m.ignored_user_list` changed since the
 * last check (one indexed query, whatever process made the change), so a change applies from the
 * next batch on.
 */
import type { PushRuleset, UserId } from '@rhizome/core'
import { IGNORED_USER_LIST, ignoredUsersIn } from '../moderation/ignored-users.js'
import type { PushStore } from '../storage/push-store.js'
import { effectiveRuleset } from './user-ruleset.js'

/** Users kept; past this the cache starts over (settings are cheap to read back). */
export const RULESET_CACHE_SIZE = 100_000

const PUSH_RULES = 'm.push_rules'

export class RulesetCache {
  readonly #push: PushStore
  readonly #rulesets = new Map<UserId, PushRuleset>()
  /** Users with nothing stored: their rules are the defaults (see isDefault). */
  readonly #defaults = new Set<UserId>()
  /** Only users who ignore someone; everyone else in #rulesets ignores nobody. */
  readonly #ignoring = new Map<UserId, ReadonlySet<UserId>>()
  #checkedUpTo: number | undefined

  constructor(push: PushStore) {
    this.#push = push
  }

  /** Forgets the settings that changed up to `position`. */
  async refresh(position: number): Promise<void> {
    if (this.#checkedUpTo === undefined || this.#rulesets.size === 0) {
      this.#checkedUpTo = Math.max(this.#checkedUpTo ?? 0, position)
      return
    }
    if (position <= this.#checkedUpTo) return
    const changed = await this.#push.settingsChanged(
      [PUSH_RULES, IGNORED_USER_LIST],
      this.#checkedUpTo,
      position,
    )
    for (const userId of changed) this.#forget(userId)
    this.#checkedUpTo = position
  }

  /**
   * Whether the user's rules are the server defaults, unchanged: then only the two rules that
   * name the user (invites and mentions) can tell them apart from anyone else's.
   */
  isDefault(userId: UserId): boolean {
    return this.#defaults.has(userId)
  }

  /** Whether `userId` (loaded) ignores `sender`. */
  ignores(userId: UserId, sender: UserId): boolean {
    return this.#ignoring.get(userId)?.has(sender) === true
  }

  /** The rulesets of the users, reading the settings of those not cached in one query each. */
  async load(userIds: readonly UserId[]): Promise<ReadonlyMap<UserId, PushRuleset>> {
    let missing = userIds.filter((userId) => !this.#rulesets.has(userId))
    if (missing.length > 0) {
      if (this.#rulesets.size + missing.length > RULESET_CACHE_SIZE) {
        this.#rulesets.clear()
        this.#defaults.clear()
        this.#ignoring.clear()
        missing = [...userIds]
      }
      const [rules, ignored] = await Promise.all([
        this.#push.settingsOf(PUSH_RULES, missing),
        this.#push.settingsOf(IGNORED_USER_LIST, missing),
      ])
      for (const userId of missing) {
        const content = rules.get(userId)
        this.#rulesets.set(userId, effectiveRuleset(userId, content))
        if (content === undefined) this.#defaults.add(userId)
        const ignoring = ignoredUsersIn(ignored.get(userId), userId)
        if (ignoring.size > 0) this.#ignoring.set(userId, ignoring)
      }
    }
    return this.#rulesets
  }

  #forget(userId: UserId): void {
    this.#rulesets.delete(userId)
    this.#defaults.delete(userId)
    this.#ignoring.delete(userId)
  }
}
