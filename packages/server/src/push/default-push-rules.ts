/**
 * The server-default push rules of client-server-api §Push Rules, Predefined Rules (v1.19).
 *
 * Since v1.17 the spec no longer lists the legacy rules that looked for mentions in the event
 * `body` (`.m.rule.contains_user_name`, `.m.rule.contains_display_name`, `.m.rule.roomnotif`):
 * mentions are found through `m.mentions` instead, so the content kind has no default rules.
 */
import type { UserId } from '@rhizome/core'

/** The five kinds of push rule, in the order a server evaluates them. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number]

export function isPushRuleKind(raw: string): raw is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(raw)
}

/** A non-compound canonical JSON value, as `event_property_is` / `_contains` compare. */
export type PushConditionValue = string | number | boolean | null

export type PushCondition =
  | { readonly kind: 'event_match'; readonly key: string; readonly pattern: string }
  | {
      readonly kind: 'event_property_is' | 'event_property_contains'
      readonly key: string
      readonly value: PushConditionValue
    }
  | { readonly kind: 'room_member_count'; readonly is: string }
  | { readonly kind: 'sender_notification_permission'; readonly key: string }

export type PushAction =
  | 'notify'
  | { readonly set_tweak: 'sound'; readonly value: string }
  | { readonly set_tweak: 'highlight'; readonly value?: boolean }

export interface PushRule {
  readonly rule_id: string
  readonly default: boolean
  readonly enabled: boolean
  /** Override and underride rules only. */
  readonly conditions?: readonly PushCondition[]
  /** Content rules only. */
  readonly pattern?: string
  readonly actions: readonly PushAction[]
}

export type PushRuleset = { readonly [K in PushRuleKind]: readonly PushRule[] }

const SOUND_DEFAULT: PushAction = { set_tweak: 'sound', value: 'default' }
const HIGHLIGHT: PushAction = { set_tweak: 'highlight' }

function typeIs(pattern: string): PushCondition {
  return { kind: 'event_match', key: 'type', pattern }
}

function stateKeyIs(pattern: string): PushCondition {
  return { kind: 'event_match', key: 'state_key', pattern }
}

function rule(
  ruleId: string,
  conditions: readonly PushCondition[],
  actions: readonly PushAction[],
  enabled = true,
): PushRule {
  return { rule_id: ruleId, default: true, enabled, conditions, actions }
}

/**
 * The predefined rules for `userId` (two of them name the user), in the spec's order within each
 * kind. The value is read-only: parts of it are shared between calls.
 */
export function defaultPushRules(userId: UserId): PushRuleset {
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule(
        '.m.rule.suppress_notices',
        [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }],
        [],
      ),
      rule(
        '.m.rule.invite_for_me',
        [
          typeIs('m.room.member'),
          { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
          stateKeyIs(userId),
        ],
        ['notify', SOUND_DEFAULT],
      ),
      rule('.m.rule.member_event', [typeIs('m.room.member')], []),
      rule(
        '.m.rule.is_user_mention',
        [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        ['notify', SOUND_DEFAULT, HIGHLIGHT],
      ),
      rule(
        '.m.rule.is_room_mention',
        [
          { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
          { kind: 'sender_notification_permission', key: 'room' },
        ],
        ['notify', HIGHLIGHT],
      ),
      rule(
        '.m.rule.tombstone',
        [typeIs('m.room.tombstone'), stateKeyIs('')],
        ['notify', HIGHLIGHT],
      ),
      rule('.m.rule.reaction', [typeIs('m.reaction')], []),
      rule('.m.rule.room.server_acl', [typeIs('m.room.server_acl'), stateKeyIs('')], []),
      rule(
        '.m.rule.suppress_edits',
        [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
        [],
      ),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule(
        '.m.rule.call',
        [typeIs('m.call.invite')],
        ['notify', { set_tweak: 'sound', value: 'ring' }],
      ),
      rule(
        '.m.rule.encrypted_room_one_to_one',
        [{ kind: 'room_member_count', is: '2' }, typeIs('m.room.encrypted')],
        ['notify', SOUND_DEFAULT],
      ),
      rule(
        '.m.rule.room_one_to_one',
        [{ kind: 'room_member_count', is: '2' }, typeIs('m.room.message')],
        ['notify', SOUND_DEFAULT],
      ),
      rule('.m.rule.message', [typeIs('m.room.message')], ['notify']),
      rule('.m.rule.encrypted', [typeIs('m.room.encrypted')], ['notify']),
    ],
  }
}

/** The rule `ruleId` of `kind` in `ruleset`, if there is one. */
export function findPushRule(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
): PushRule | undefined {
  return ruleset[kind].find((r) => r.rule_id === ruleId)
}
