import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../storage/interface.js'
import { aggregationCandidates, bundleOf } from './bundled-aggregations.js'

function stored(id: string, pdu: Partial<Pdu> = {}, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    pdu: {
      eventId: id as EventId,
      roomId: '!room:x' as RoomId,
      sender: '@alice:x' as UserId,
      type: 'm.room.message',
      content: { body: id },
      originServerTs: 1,
      depth: 1,
      prevEvents: [],
      authEvents: [],
      json: {},
      ...pdu,
    },
    json: '{}',
    roomVersion: '12',
    streamPosition: 1,
    rejectionReason: undefined,
    redactedBy: undefined,
    stateGroupBefore: 1,
    stateGroupAfter: 1,
    ...extra,
  }
}

const relates = (relType: string): JsonObject => ({
  'm.relates_to': { rel_type: relType, event_id: '$p' },
})

describe('aggregationCandidates', () => {
  it('leaves out state events, edits, annotations and rejected events', () => {
    const candidates = aggregationCandidates([
      stored('$plain'),
      stored('$plain'),
      stored('$state', { stateKey: '' }),
      stored('$edit', { content: relates('m.replace') }),
      stored('$reaction', { type: 'm.reaction', content: relates('m.annotation') }),
      stored('$reply', { content: relates('m.thread') }),
      stored('$rejected', {}, { rejectionReason: 'no' }),
      stored('$redacted', { content: relates('m.replace') }, { redactedBy: '$r' as EventId }),
    ])
    expect(candidates).toEqual({
      parents: ['$plain', '$reply', '$redacted'],
      editable: ['$plain', '$reply'],
    })
  })
})

describe('bundleOf', () => {
  const edit = { event_id: '$edit' }
  const latest = { event_id: '$latest' }
  const serialized = new Map<EventId, JsonObject>([
    ['$edit' as EventId, edit],
    ['$latest' as EventId, latest],
  ])
  const aggregates = {
    latestEdit: '$edit' as EventId,
    thread: { count: 3, latestEventId: '$latest' as EventId, viewerReplied: false },
    references: ['$r1' as EventId, '$r2' as EventId],
  }

  it('builds m.replace, m.thread and m.reference', () => {
    expect(
      bundleOf({ parent: stored('$p'), aggregates, serialized, viewer: '@bob:x' as UserId }),
    ).toEqual({
      'm.replace': edit,
      'm.thread': { latest_event: latest, count: 3, current_user_participated: false },
      'm.reference': { chunk: [{ event_id: '$r1' }, { event_id: '$r2' }] },
    })
  })

  it('counts the root sender as a participant, and nobody without a viewer', () => {
    const bundle = (viewer: UserId | undefined) =>
      bundleOf({ parent: stored('$p'), aggregates, serialized, viewer })?.['m.thread']
    expect(bundle('@alice:x' as UserId)).toMatchObject({ current_user_participated: true })
    expect(bundle(undefined)).toMatchObject({ current_user_participated: false })
  })

  it('bundles no edit with a redacted event, and nothing when nothing is known', () => {
    const redacted = stored('$p', {}, { redactedBy: '$r' as EventId })
    expect(
      bundleOf({ parent: redacted, aggregates, serialized, viewer: undefined })?.['m.replace'],
    ).toBeUndefined()
    expect(
      bundleOf({ parent: stored('$p'), aggregates: undefined, serialized, viewer: undefined }),
    ).toBeUndefined()
    expect(
      bundleOf({
        parent: stored('$p'),
        aggregates: { latestEdit: '$missing' as EventId, references: [] },
        serialized,
        viewer: undefined,
      }),
    ).toBeUndefined()
  })
})
