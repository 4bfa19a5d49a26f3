import { describe, expect, it } from 'vitest'
import type { RoomId } from '@rhizome/core'
import { decodeHierarchyToken, encodeHierarchyToken } from './space-hierarchy-token.js'

const root = '!space:example.org' as RoomId

describe('hierarchy tokens', () => {
  it('round-trip the request they continue', () => {
    for (const token of [
      { root, suggestedOnly: false, maxDepth: undefined, skip: 0 },
      { root, suggestedOnly: true, maxDepth: 3, skip: 120 },
      { root: '!AbC_-x:example.org:8448' as RoomId, suggestedOnly: false, maxDepth: 0, skip: 7 },
    ]) {
      const encoded = encodeHierarchyToken(token)
      expect(encoded).toMatch(/^[A-Za-z0-9._-]+$/)
      expect(decodeHierarchyToken(encoded)).toEqual({ ok: true, value: token })
    }
  })

  it('refuses what this server did not hand out', () => {
    const valid = encodeHierarchyToken({ root, suggestedOnly: true, maxDepth: 2, skip: 4 })
    for (const raw of [
      '',
      'nonsense',
      valid.replace(/^h/, 'x'),
      valid.replace('.4.', '.-4.'),
      valid.replace('.4.', '.04.'),
      valid.replace('.s2.', '.q2.'),
      valid.replace('.s2.', '.s.'),
      valid.replace('.s2.', '.s2x.'),
      `${valid}.extra`,
      'h.1.a-.bm90IGEgcm9vbQ',
    ]) {
      const decoded = decodeHierarchyToken(raw)
      expect(decoded.ok, raw).toBe(false)
      if (!decoded.ok) expect(decoded.error.errcode).toBe('M_INVALID_PARAM')
    }
  })
})
