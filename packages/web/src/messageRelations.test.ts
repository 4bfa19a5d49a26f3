// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { editContent, isEdit, replyContent, replyTarget } from './messageRelations'

describe('editContent', () => {
  it('replaces the target with Markdown in m.new_content and a starred fallback', () => {
    const content = editContent('$m', 'now **bold**')
    expect(content).toEqual({
      msgtype: 'm.text',
      body: '* now **bold**',
      format: 'org.matrix.custom.html',
      formatted_body: '* now <strong>bold</strong>',
      'm.new_content': {
        msgtype: 'm.text',
        body: 'now **bold**',
        format: 'org.matrix.custom.html',
        formatted_body: 'now <strong>bold</strong>',
      },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$m' },
    })
    expect(isEdit(content)).toBe(true)
  })
})

describe('replyContent', () => {
  it('relates to the original and mentions its sender, with no fallback quote', () => {
    const content = replyContent('sure', '$m', '@a:hs')
    expect(content).toEqual({
      msgtype: 'm.text',
      body: 'sure',
      'm.relates_to': { 'm.in_reply_to': { event_id: '$m' } },
      'm.mentions': { user_ids: ['@a:hs'] },
    })
    expect(isEdit(content)).toBe(false)
    expect(replyTarget(content as unknown as Record<string, unknown>)).toBe('$m')
    expect(replyTarget({ body: 'x' })).toBeUndefined()
  })
})
