/**
 * Relations, threads, search and redaction through matrix-js-sdk against the real server: an
 * edit is bundled as the latest edit, thread replies are counted and the thread is listed, a
 * reaction is a child in /relations, search finds a message by a word, and a redacted event comes
 * back redacted with the redaction. Runs on SQLite and, when RHIZOME_TEST_POSTGRES is set,
 * PostgreSQL.
 */
import {
  Direction,
  EventType,
  MsgType,
  RelationType,
  ThreadFilterType,
  type MatrixClient,
} from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { eventually, type Account } from './harness/matrix-clients.js'
import { joinOnInvite, startSession, type Session } from './harness/session.js'

interface Bundle {
  readonly 'm.replace'?: { event_id?: string; content?: Record<string, unknown> }
  readonly 'm.thread'?: {
    count?: number
    current_user_participated?: boolean
    latest_event?: { event_id?: string }
  }
}

function bundleOf(event: { unsigned?: Record<string, unknown> }): Bundle | undefined {
  return event.unsigned?.['m.relations'] as Bundle | undefined
}

describe.each(BACKENDS)('relations, threads, search and redaction ($name)', (backend) => {
  let session: Session
  let bob: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let roomId: string

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob'])
    ;({ client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    roomId = (await aliceClient.createRoom({ name: 'Relations', invite: [bob.userId] })).room_id
    await joinOnInvite(session.user('bob'), roomId)
  }, 120_000)

  afterAll(async () => {
    await session.close()
  })

  it('bundles the latest edit with the original event', async () => {
    const { event_id: original } = await aliceClient.sendTextMessage(roomId, 'I like cake')
    const editTo = async (body: string): Promise<string> =>
      (
        await aliceClient.sendEvent(roomId, EventType.RoomMessage, {
          msgtype: MsgType.Text,
          body: `* ${body}`,
          'm.new_content': { msgtype: MsgType.Text, body },
          'm.relates_to': { rel_type: RelationType.Replace, event_id: original },
        })
      ).event_id
    await editTo('I like chocolate cake')
    const latest = await editTo('I like lemon cake')

    const served = await bobClient.fetchRoomEvent(roomId, original)
    const replace = bundleOf(served)?.['m.replace']
    expect(replace?.event_id).toBe(latest)
    expect(replace?.content?.['m.new_content']).toEqual({
      msgtype: 'm.text',
      body: 'I like lemon cake',
    })
    // The original content is left as it was.
    expect(served.content?.['body']).toBe('I like cake')

    // /messages bundles it too.
    const page = await bobClient.createMessagesRequest(roomId, null, 20, Direction.Backward)
    const inPage = page.chunk.find((event) => event.event_id === original)
    expect(inPage === undefined ? undefined : bundleOf(inPage)?.['m.replace']?.event_id).toBe(
      latest,
    )
  })

  it('counts thread replies in the summary and lists the thread', async () => {
    const { event_id: root } = await aliceClient.sendTextMessage(roomId, 'Thread root')
    await bobClient.sendMessage(roomId, root, { msgtype: MsgType.Text, body: 'first reply' })
    const { event_id: last } = await bobClient.sendMessage(roomId, root, {
      msgtype: MsgType.Text,
      body: 'second reply',
    })

    const served = await aliceClient.fetchRoomEvent(roomId, root)
    const thread = bundleOf(served)?.['m.thread']
    expect(thread?.count).toBe(2)
    expect(thread?.latest_event?.event_id).toBe(last)
    // Alice sent the root, so she participates.
    expect(thread?.current_user_participated).toBe(true)

    const threads = await aliceClient.createThreadListMessagesRequest(
      roomId,
      null,
      10,
      Direction.Backward,
      ThreadFilterType.All,
    )
    const listed = threads.chunk.find((event) => event.event_id === root)
    expect(listed).toBeDefined()
    expect(listed === undefined ? undefined : bundleOf(listed)?.['m.thread']?.count).toBe(2)
    const participated = await bobClient.createThreadListMessagesRequest(
      roomId,
      null,
      10,
      Direction.Backward,
      ThreadFilterType.My,
    )
    expect(participated.chunk.map((event) => event.event_id)).toContain(root)
  })

  it('lists a reaction in /relations', async () => {
    const { event_id: target } = await aliceClient.sendTextMessage(roomId, 'React to me')
    const { event_id: reaction } = await bobClient.sendEvent(roomId, EventType.Reaction, {
      'm.relates_to': { rel_type: RelationType.Annotation, event_id: target, key: '👍' },
    })
    const relations = await aliceClient.fetchRelations(
      roomId,
      target,
      RelationType.Annotation,
      'm.reaction',
    )
    expect(relations.chunk.map((event) => event.event_id)).toEqual([reaction])
    expect(relations.chunk[0]?.content['m.relates_to']).toMatchObject({ key: '👍' })
  })

  it('finds a message by a word in it', async () => {
    const { event_id: needle } = await bobClient.sendTextMessage(
      roomId,
      'The quartermaster ordered supplies',
    )
    await bobClient.sendTextMessage(roomId, 'Something unrelated')
    const results = await aliceClient.searchRoomEvents({ term: 'quartermaster' })
    expect(results.results.map((result) => result.context.getEvent().getId())).toEqual([needle])
    expect(results.highlights).toContain('quartermaster')
  })

  it('serves a redacted event redacted, with redacted_because', async () => {
    const { event_id: target } = await bobClient.sendTextMessage(roomId, 'Oops, wrong room')
    const { event_id: redaction } = await bobClient.redactEvent(roomId, target, undefined, {
      reason: 'mistake',
    })
    const served = await aliceClient.fetchRoomEvent(roomId, target)
    expect(served.content).toEqual({})
    const because = served.unsigned?.redacted_because
    expect(because?.event_id).toBe(redaction)
    expect(because?.type).toBe('m.room.redaction')
    expect(because?.content).toMatchObject({ reason: 'mistake' })
    // Alice's client applied the redaction it received through sync.
    await eventually(
      () => aliceClient.getRoom(roomId)?.findEventById(target)?.isRedacted() === true,
      "the redaction to reach alice's timeline",
    )
    // Redacted text is no longer found.
    const results = await aliceClient.searchRoomEvents({ term: 'oops' })
    expect(results.results).toEqual([])
  })
})
