import type { UserId } from '@rhizome/core'
import { effectiveRuleset, PUSH_RULES_TYPE, rulesetContent } from '../push/user-ruleset.js'
import type { AccountDataRecord } from '../storage/interface.js'

/**
 * The global account data as `/sync` sends it, with `m.push_rules` as the user's ruleset in
 * effect (client-server-api §Push Rules: Events): the stored content brought up to this
 * server's default rules, and on an initial sync the default ruleset for a user who never
 * changed a rule (so nothing is stored).
 */
export function withPushRules(
  userId: UserId,
  records: readonly AccountDataRecord[],
  initial: boolean,
): AccountDataRecord[] {
  const out: AccountDataRecord[] = []
  let seen = false
  for (const record of records) {
    if (record.roomId !== undefined || record.type !== PUSH_RULES_TYPE) {
      out.push(record)
      continue
    }
    seen = true
    out.push({ ...record, content: rulesetContent(effectiveRuleset(userId, record.content)) })
  }
  if (initial && !seen) {
    out.unshift({
      roomId: undefined,
      type: PUSH_RULES_TYPE,
      content: rulesetContent(effectiveRuleset(userId, undefined)),
      streamPosition: 0,
    })
  }
  return out
}
