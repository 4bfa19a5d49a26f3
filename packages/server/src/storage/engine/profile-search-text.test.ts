import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { profileSearchText, searchWords } from './profile-search-text.js'

describe('profile search words', () => {
  it('splits on anything but letters and digits, lowercased after NFKC', () => {
    expect(searchWords('@Alice.Smith:example.org')).toEqual(['alice', 'smith', 'example', 'org'])
    expect(searchWords('  Ｂｏｂ  the_Builder-2 ')).toEqual(['bob', 'the', 'builder', '2'])
    expect(searchWords('Ådne Øre')).toEqual(['ådne', 'øre'])
    expect(searchWords('%_ \\')).toEqual([])
  })

  it('keeps the words of the user ID and display name between spaces', () => {
    expect(profileSearchText('@carol.j:test' as UserId, 'Carol Jones')).toBe(
      ' carol j test carol jones ',
    )
    expect(profileSearchText('@x:test' as UserId, undefined)).toBe(' x test ')
  })
})
