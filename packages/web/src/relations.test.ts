import { describe, expect, it } from 'vitest'
import { indexRelations, latestEdit, type RelatedEvent } from './relations'

function reaction(id: string | undefined, sender: string, target: string, key: string) {
  return {
    id,
    type: 'm.reaction',
    sender,
    timestamp: 0,
    redacted: false,
    relation: { rel_type: 'm.annotation', event_id: target, key },
    content: {},
  } satisfies RelatedEvent
}

function edit(sender: string, target: string, timestamp: number, body: string): RelatedEvent {
  return {
    id: `$edit${timestamp}`,
    type: 'm.room.message',
    sender,
    timestamp,
    redacted: false,
    relation: { rel_type: 'm.replace', event_id: target },
    content: { body: `* ${body}`, 'm.new_content': { body } },
  }
}

describe('indexRelations', () => {
  it('counts each person once per emoji and knows which reaction is mine', () => {
    const index = indexRelations(
      [
        reaction('$1', '@a:hs', '$m', '👍'),
        reaction('$2', '@a:hs', '$m', '👍'),
        reaction('$3', '@me:hs', '$m', '👍'),
        reaction('$4', '@b:hs', '$m', '🎉'),
        reaction('$5', '@b:hs', '$other', '👍'),
      ],
      '@me:hs',
    )
    expect(index.reactions.get('$m')).toEqual([
      { key: '👍', count: 2, mine: true, myReactionId: '$3' },
      { key: '🎉', count: 1, mine: false },
    ])
    expect(index.reactions.get('$other')).toEqual([{ key: '👍', count: 1, mine: false }])
  })

  it('ignores redacted reactions and marks unsent ones as mine without an ID', () => {
    const index = indexRelations(
      [
        { ...reaction('$1', '@me:hs', '$m', '👍'), redacted: true },
        reaction(undefined, '@me:hs', '$m', '❤️'),
      ],
      '@me:hs',
    )
    expect(index.reactions.get('$m')).toEqual([{ key: '❤️', count: 1, mine: true }])
  })

  it("takes the original sender's newest edit and ignores other people's", () => {
    const index = indexRelations(
      [
        edit('@a:hs', '$m', 2, 'second'),
        edit('@a:hs', '$m', 1, 'first'),
        edit('@x:hs', '$m', 3, 'x'),
      ],
      '@me:hs',
    )
    expect(latestEdit(index, '$m', '@a:hs')?.newContent).toEqual({ body: 'second' })
    expect(latestEdit(index, '$m', '@b:hs')).toBeUndefined()
    expect(latestEdit(index, '$none', '@a:hs')).toBeUndefined()
  })
})
