/**
 * The server-default push rules of client-server-api §Push Rules, Predefined Rules (v1.19).
 *
 * Since v1.17 the spec no longer lists the legacy rules that looked for mentions in the event
 * `body` (`.m.rule.contains_user_name`, `.m.rule.contains_display_name`, `.m.rule.roomnotif`):
 * mentions are found through `m.mentions` instead, so the content kind has no default rules.
 */
import type { PushAction, PushCondition, PushRule, PushRuleset } from './push-rule.js'

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

// The rules that do not name the user are made once and shared by every user's ruleset: a room
// with thousands of members holds thousands of rulesets.
const MASTER = rule('.m.rule.master', [], [], false)
const SUPPRESS_NOTICES = rule(
  '.m.rule.suppress_notices',
  [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }],
  [],
)
const MEMBER_EVENT = rule('.m.rule.member_event', [typeIs('m.room.member')], [])
const IS_ROOM_MENTION = rule(
  '.m.rule.is_room_mention',
  [
    { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
    { kind: 'sender_notification_permission', key: 'room' },
  ],
  ['notify', HIGHLIGHT],
)
const TOMBSTONE = rule(
  '.m.rule.tombstone',
  [typeIs('m.room.tombstone'), stateKeyIs('')],
  ['notify', HIGHLIGHT],
)
const REACTION = rule('.m.rule.reaction', [typeIs('m.reaction')], [])
const SERVER_ACL = rule(
  '.m.rule.room.server_acl',
  [typeIs('m.room.server_acl'), stateKeyIs('')],
  [],
)
const SUPPRESS_EDITS = rule(
  '.m.rule.suppress_edits',
  [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
  [],
)
const UNDERRIDE: readonly PushRule[] = [
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
]

/**
 * The predefined rules for `userId` (two of them name the user), in the spec's order within each
 * kind. The value is read-only: parts of it are shared between calls.
 */
export function defaultPushRules(userId: string): PushRuleset {
  return {
    override: [
      MASTER,
      SUPPRESS_NOTICES,
      rule(
        '.m.rule.invite_for_me',
        [
          typeIs('m.room.member'),
          { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
          stateKeyIs(userId),
        ],
        ['notify', SOUND_DEFAULT],
      ),
      MEMBER_EVENT,
      rule(
        '.m.rule.is_user_mention',
        [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        ['notify', SOUND_DEFAULT, HIGHLIGHT],
      ),
      IS_ROOM_MENTION,
      TOMBSTONE,
      REACTION,
      SERVER_ACL,
      SUPPRESS_EDITS,
    ],
    content: [],
    room: [],
    sender: [],
    underride: UNDERRIDE,
  }
}
