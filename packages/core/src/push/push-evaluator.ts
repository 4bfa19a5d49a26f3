/**
 * Push rule evaluation (client-server-api §Push Rules): for one event and one user, the first
 * enabled rule that matches, in kind order (override, content, room, sender, underride) and rule
 * order within a kind, decides the actions. No match: no notification.
 *
 * The event is read through a PushEventView, which remembers each property it looked up: a room
 * with thousands of members evaluates the same few paths against one event thousands of times.
 */
import type { JsonObject, JsonValue } from '../json/json.js'
import { containsWords, globMatches } from './glob.js'
import { propertyAt } from './property-path.js'
import {
  isNonCompound,
  parsePushCondition,
  PUSH_RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from './push-rule.js'

/** What evaluation needs to know about the room, the same for every member. */
export interface PushRoomContext {
  /** The room's joined members. */
  readonly memberCount: number
  /** The sender's power level (Infinity for a v12 room creator). */
  readonly senderPowerLevel: number
  /** The level a sender needs to trigger the notification `key` (`room`); undefined: none. */
  notificationPowerLevel(key: string): number | undefined
}

/** The user whose rules are evaluated. */
export interface PushUserContext {
  readonly userId: string
  /** Their display name in the room, for `contains_display_name`. */
  readonly displayName: string | undefined
}

export interface PushRuleMatch {
  readonly kind: PushRuleKind
  readonly rule: PushRule
  readonly actions: readonly PushAction[]
}

/** An event as push rules see it: the event JSON (with `event_id` and `room_id`). */
export class PushEventView {
  readonly json: JsonObject
  readonly #values = new Map<string, JsonValue | undefined>()
  readonly #matches = new Map<string, boolean>()

  constructor(json: JsonObject) {
    this.json = json
  }

  get(path: string): JsonValue | undefined {
    if (this.#values.has(path)) return this.#values.get(path)
    const value = propertyAt(this.json, path)
    this.#values.set(path, value)
    return value
  }

  string(path: string): string | undefined {
    const value = this.get(path)
    return typeof value === 'string' ? value : undefined
  }

  /** The `event_match` outcome for `path` and `pattern`, remembered like the lookups. */
  globMatches(path: string, pattern: string): boolean {
    const key = `${path}\u0000${pattern}`
    let outcome = this.#matches.get(key)
    if (outcome === undefined) {
      const value = this.string(path)
      outcome = value !== undefined && globMatches(pattern, value, path === 'content.body')
      this.#matches.set(key, outcome)
    }
    return outcome
  }
}

export function evaluatePushRules(
  ruleset: PushRuleset,
  event: PushEventView,
  room: PushRoomContext,
  user: PushUserContext,
): PushRuleMatch | undefined {
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (rule.enabled && ruleMatches(kind, rule, event, room, user)) {
        return { kind, rule, actions: rule.actions }
      }
    }
  }
  return undefined
}

export function ruleMatches(
  kind: PushRuleKind,
  rule: PushRule,
  event: PushEventView,
  room: PushRoomContext,
  user: PushUserContext,
): boolean {
  switch (kind) {
    case 'override':
    case 'underride':
      return (rule.conditions ?? []).every((c) => conditionJsonMatches(c, event, room, user))
    case 'content': {
      const body = event.string('content.body')
      return (
        rule.pattern !== undefined && body !== undefined && globMatches(rule.pattern, body, true)
      )
    }
    case 'room':
      return event.get('room_id') === rule.rule_id
    case 'sender':
      return event.get('sender') === rule.rule_id
  }
}

/** Parsed conditions, by the JSON object they came from (rulesets are cached and reused). */
const parsed = new WeakMap<JsonObject, PushCondition | null>()

function conditionJsonMatches(
  json: JsonObject,
  event: PushEventView,
  room: PushRoomContext,
  user: PushUserContext,
): boolean {
  let condition = parsed.get(json)
  if (condition === undefined) {
    condition = parsePushCondition(json) ?? null
    parsed.set(json, condition)
  }
  // Unrecognised conditions MUST NOT match any events.
  return condition !== null && conditionMatches(condition, event, room, user)
}

export function conditionMatches(
  condition: PushCondition,
  event: PushEventView,
  room: PushRoomContext,
  user: PushUserContext,
): boolean {
  switch (condition.kind) {
    case 'event_match':
      return event.globMatches(condition.key, condition.pattern)
    case 'event_property_is': {
      const value = event.get(condition.key)
      return value !== undefined && isNonCompound(value) && value === condition.value
    }
    case 'event_property_contains': {
      const value = event.get(condition.key)
      return (
        Array.isArray(value) &&
        value.some((item: JsonValue) => isNonCompound(item) && item === condition.value)
      )
    }
    case 'contains_display_name': {
      const body = event.string('content.body')
      const name = user.displayName
      return body !== undefined && name !== undefined && containsWords(body, name)
    }
    case 'room_member_count':
      return memberCountMatches(condition.is, room.memberCount)
    case 'sender_notification_permission': {
      const required = room.notificationPowerLevel(condition.key)
      return required !== undefined && room.senderPowerLevel >= required
    }
  }
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/

const COMPARISONS: Readonly<Record<string, (count: number, target: number) => boolean>> = {
  '==': (count, target) => count === target,
  '<': (count, target) => count < target,
  '>': (count, target) => count > target,
  '>=': (count, target) => count >= target,
  '<=': (count, target) => count <= target,
}

/** `is`: a decimal integer, optionally prefixed by ==, <, >, >= or <= (default ==). */
export function memberCountMatches(is: string, count: number): boolean {
  const match = MEMBER_COUNT.exec(is)
  const compare = match === null ? undefined : COMPARISONS[match[1] ?? '==']
  return compare !== undefined && compare(count, Number(match?.[2]))
}
