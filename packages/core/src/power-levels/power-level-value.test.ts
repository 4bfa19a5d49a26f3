import { describe, expect, it } from 'vitest'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { parsePowerLevelValue, powerLevelFormat } from './power-level-value.js'
import type { PowerLevelFormat } from './power-level-value.js'

describe('powerLevelFormat', () => {
  it.each([
    ['1', 'integers-strings-floats'],
    ['5', 'integers-strings-floats'],
    ['6', 'integers-strings'],
    ['9', 'integers-strings'],
    ['10', 'integers'],
    ['12', 'integers'],
  ])('room version %s writes power levels as %s', (version, format) => {
    expect(powerLevelFormat(roomVersionRules(version)!)).toBe(format)
  })
})

const ALL: readonly PowerLevelFormat[] = ['integers-strings-floats', 'integers-strings', 'integers']

describe('parsePowerLevelValue', () => {
  it.each([0, 50, -50, 100, 2 ** 53 - 1, -(2 ** 53) + 1])(
    'accepts the integer %d everywhere',
    (n) => {
      for (const format of ALL) expect(parsePowerLevelValue(n, format)).toBe(n)
    },
  )

  it('turns -0 into 0', () => {
    for (const format of ALL) expect(Object.is(parsePowerLevelValue(-0, format), 0)).toBe(true)
  })

  // rooms/fragments/v1-stringy-power-levels.md: the formats it lists, and what it does not.
  it.each([
    ['100', 100],
    ['000100', 100],
    ['+100', 100],
    ['-100', -100],
    [' 100 ', 100],
    [' 00100 ', 100],
    [' +100 ', 100],
    [' -100 ', -100],
    ['\t\n 7 \r\n', 7],
    ['-0', 0],
  ])('reads the string %j as %d where strings are allowed', (text, value) => {
    expect(parsePowerLevelValue(text, 'integers-strings-floats')).toBe(value)
    expect(parsePowerLevelValue(text, 'integers-strings')).toBe(value)
    expect(parsePowerLevelValue(text, 'integers')).toBeUndefined()
  })

  it.each(['', ' ', '+', '-', '1.5', '1e3', '0x10', '1 2', '--1', '+-1', 'fifty', '١٢', '50.'])(
    'refuses the string %j',
    (text) => {
      for (const format of ALL) expect(parsePowerLevelValue(text, format)).toBeUndefined()
    },
  )

  it('refuses a string of digits too long for a double', () => {
    expect(parsePowerLevelValue('9'.repeat(400), 'integers-strings')).toBeUndefined()
    expect(parsePowerLevelValue('9'.repeat(30), 'integers-strings')).toBe(1e30)
  })

  // rooms/fragments/v1-floaty-power-levels.md: exponent applied, then truncated.
  it.each([
    [50.57, 50],
    [5.114698e4, 51146],
    [-50.9, -50],
    [-0.5, 0],
    [1e20, 1e20],
  ])('truncates the float %d to %d in v1-v5 only', (value, expected) => {
    const parsed = parsePowerLevelValue(value, 'integers-strings-floats')
    expect(Object.is(parsed, expected)).toBe(true)
    expect(parsePowerLevelValue(value, 'integers-strings')).toBeUndefined()
    expect(parsePowerLevelValue(value, 'integers')).toBeUndefined()
  })

  it.each([Infinity, -Infinity, NaN])('refuses %d', (value) => {
    for (const format of ALL) expect(parsePowerLevelValue(value, format)).toBeUndefined()
  })

  it.each([[true], [false], [null], [undefined], [{}], [[50]], [{ value: 50 }]])(
    'refuses %j',
    (value) => {
      for (const format of ALL) expect(parsePowerLevelValue(value, format)).toBeUndefined()
    },
  )
})
