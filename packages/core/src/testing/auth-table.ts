/**
 * Runs one room version's table of auth rules: each row names a rule as that version numbers it
 * and a scenario from auth-scenarios.ts; the scenario's allowed event must be allowed and its
 * rejected event rejected by that rule (or by `rejectedBy`, for rules that only ever allow).
 */
import { describe, expect, it } from 'vitest'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { runCase, SCENARIOS } from './auth-scenarios.js'
import type { ScenarioName } from './auth-scenarios.js'

export interface RowOptions {
  /** The rule that rejects the scenario's rejected event, when it is not the row's rule. */
  readonly rejectedBy?: string
  /** Run only one side of the scenario (the other side belongs to another version). */
  readonly only?: 'allowed' | 'rejected'
}

export type Row = readonly [rule: string, scenario: ScenarioName, options?: RowOptions]

/**
 * `specRules` lists every numbered rule of the version, as its text numbers them; the table must
 * have a row for each and no row for a rule the version lacks.
 */
export function describeAuthTable(
  rules: RoomVersionRules,
  specRules: readonly string[],
  rows: readonly Row[],
): void {
  describe(`room version ${rules.id} auth rules`, () => {
    it('has a row for every numbered rule, and no other', () => {
      expect(new Set(rows.map(([rule]) => rule))).toEqual(new Set(specRules))
    })

    for (const [rule, name, options = {}] of rows) {
      const scenario = SCENARIOS[name]
      const allowed = 'allowed' in scenario ? scenario.allowed : undefined
      const rejected = 'rejected' in scenario ? scenario.rejected : undefined
      if (allowed !== undefined && options.only !== 'rejected') {
        it(`${rule} allows: ${scenario.title}`, () => {
          expect(runCase(allowed(rules), rules)).toEqual({ kind: 'allowed' })
        })
      }
      if (rejected !== undefined && options.only !== 'allowed') {
        const expected = options.rejectedBy ?? rule
        it(`${rule} rejects (${expected}): ${scenario.title}`, () => {
          expect(runCase(rejected(rules), rules)).toMatchObject({
            kind: 'rejected',
            rule: expected,
          })
        })
      }
    }
  })
}
