/**
 * What a rule's actions mean (client-server-api §Push Rules, Actions): `notify`, and tweaks set
 * with `set_tweak`. The historical `dont_notify` and `coalesce` mean nothing, as does any string
 * this server does not know.
 */
import type { JsonValue } from '../json/json.js'
import { isJsonObject } from '../json/json.js'
import type { PushAction } from './push-rule.js'

export interface PushActionEffects {
  readonly notify: boolean
  /** The `highlight` tweak: true when set without a value or with `true`. */
  readonly highlight: boolean
  /** The `sound` tweak's value, when a string. */
  readonly sound: string | undefined
  /** Every tweak set, by name, for a push gateway (highlight with its value resolved). */
  readonly tweaks: Readonly<Record<string, JsonValue>>
}

const HISTORICAL_ACTIONS: readonly string[] = ['dont_notify', 'coalesce']

export function pushActionEffects(actions: readonly PushAction[]): PushActionEffects {
  let notify = false
  let highlight = false
  let sound: string | undefined
  const tweaks: Record<string, JsonValue> = {}
  for (const action of actions) {
    if (action === 'notify') {
      notify = true
      continue
    }
    if (!isJsonObject(action)) continue
    const name = action['set_tweak']
    if (typeof name !== 'string') continue
    const value = action['value']
    if (name === 'highlight') {
      highlight = value === undefined || value === true
      tweaks[name] = highlight
    } else {
      if (name === 'sound') sound = typeof value === 'string' ? value : undefined
      if (value !== undefined) tweaks[name] = value
    }
  }
  return { notify, highlight, sound, tweaks }
}

/** The actions without the historical ones, which servers must ignore (spec: strip them). */
export function withoutHistoricalActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((a) => typeof a !== 'string' || !HISTORICAL_ACTIONS.includes(a))
}
