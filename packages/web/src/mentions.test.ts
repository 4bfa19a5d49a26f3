// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { messageContent } from './markdown'
import { replyContent } from './messageRelations'
import { insertMention, matchMembers, mentionQuery, withMentions } from './mentions'

const bob = { userId: '@bob:example.org', name: 'Bob' }
const bea = { userId: '@bea:example.org', name: 'Beatrice <3' }
const carol = { userId: '@carol:example.org', name: 'Carol' }

describe('mentionQuery', () => {
  it('finds an @word being typed at the caret', () => {
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionQuery('hi @bo', 6)).toEqual({ start: 3, query: 'bo' })
    expect(mentionQuery('hi @bo there', 6)).toEqual({ start: 3, query: 'bo' })
  })

  it('ignores e-mail addresses and finished words', () => {
    expect(mentionQuery('mail me@example.org', 19)).toBeUndefined()
    expect(mentionQuery('hi @bob ', 8)).toBeUndefined()
    expect(mentionQuery('no mention', 10)).toBeUndefined()
  })
})

describe('matchMembers', () => {
  it('matches names and user IDs, prefixes first', () => {
    expect(matchMembers([carol, bob, bea], 'b')).toEqual([bea, bob])
    expect(matchMembers([carol, bob, bea], 'ROL')).toEqual([carol])
    expect(matchMembers([carol, bob, bea], 'example')).toEqual([bea, bob, carol])
    expect(matchMembers([carol, bob, bea], '')).toHaveLength(3)
    expect(matchMembers([carol, bob, bea], 'zed')).toEqual([])
  })
})

describe('insertMention', () => {
  it('replaces the query with the name and puts the caret after it', () => {
    const at = { start: 3, query: 'bo' }
    expect(insertMention('hi @bo there', at, bob)).toEqual({ text: 'hi Bob  there', caret: 7 })
    expect(insertMention('@', { start: 0, query: '' }, bob)).toEqual({ text: 'Bob ', caret: 4 })
  })
})

describe('withMentions', () => {
  it('links the name in formatted_body, keeps it plain in body and lists the user', () => {
    const content = withMentions(messageContent('hello Bob, how are you'), [bob])
    expect(content.body).toBe('hello Bob, how are you')
    expect(content.format).toBe('org.matrix.custom.html')
    expect(content.formatted_body).toBe(
      'hello <a href="https://matrix.to/#/@bob:example.org">Bob</a>, how are you',
    )
    expect(content['m.mentions']).toEqual({ user_ids: ['@bob:example.org'] })
  })

  it('escapes names and keeps Markdown formatting', () => {
    const content = withMentions(messageContent('**hey** Beatrice <3'), [bea])
    expect(content.formatted_body).toBe(
      '<strong>hey</strong> <a href="https://matrix.to/#/@bea:example.org">Beatrice &lt;3</a>',
    )
  })

  it('drops mentions whose name was deleted and keeps the reply mention', () => {
    expect(withMentions(messageContent('never mind'), [bob])).toEqual(messageContent('never mind'))
    const reply = withMentions(replyContent('thanks Carol', '$e', '@bob:example.org'), [carol])
    expect(reply['m.mentions']).toEqual({ user_ids: ['@bob:example.org', '@carol:example.org'] })
    expect(reply['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: '$e' } })
  })

  it('does not link inside an existing link', () => {
    const content = withMentions(messageContent('[Bob](https://example.org) Bob'), [bob])
    expect(content.formatted_body).toMatch(
      /^<a href="https:\/\/example\.org"[^>]*>Bob<\/a> <a href="https:\/\/matrix\.to\/#\/@bob:example\.org">Bob<\/a>$/,
    )
  })
})
