import { describe, expect, it } from 'vitest'
import { pushActionEffects, withoutHistoricalActions } from './push-actions.js'

describe('pushActionEffects', () => {
  it('reads notify, highlight and sound', () => {
    expect(
      pushActionEffects([
        'notify',
        { set_tweak: 'sound', value: 'default' },
        { set_tweak: 'highlight' },
      ]),
    ).toEqual({
      notify: true,
      highlight: true,
      sound: 'default',
      tweaks: { sound: 'default', highlight: true },
    })
  })

  it('nothing at all: no notification, no highlight', () => {
    expect(pushActionEffects([])).toEqual({
      notify: false,
      highlight: false,
      sound: undefined,
      tweaks: {},
    })
  })

  it('reads highlight without a value as true and only true as true', () => {
    expect(pushActionEffects([{ set_tweak: 'highlight', value: true }]).highlight).toBe(true)
    expect(pushActionEffects([{ set_tweak: 'highlight', value: false }]).highlight).toBe(false)
    expect(pushActionEffects([{ set_tweak: 'highlight', value: 'yes' }]).highlight).toBe(false)
  })

  it('ignores historical and unknown actions but passes custom tweaks through', () => {
    const effects = pushActionEffects([
      'dont_notify',
      'coalesce',
      'something_new',
      { not_a_tweak: 1 },
      { set_tweak: 7 },
      { set_tweak: 'org.example.light', value: 'red' },
      { set_tweak: 'org.example.flag' },
      { set_tweak: 'sound', value: 3 },
    ])
    expect(effects).toEqual({
      notify: false,
      highlight: false,
      sound: undefined,
      tweaks: { 'org.example.light': 'red', sound: 3 },
    })
  })
})

describe('withoutHistoricalActions', () => {
  it('strips dont_notify and coalesce, keeping the rest in order', () => {
    expect(
      withoutHistoricalActions(['dont_notify', 'notify', 'coalesce', { set_tweak: 'highlight' }]),
    ).toEqual(['notify', { set_tweak: 'highlight' }])
    // ["dont_notify"] is equivalent to [].
    expect(withoutHistoricalActions(['dont_notify'])).toEqual([])
  })
})
