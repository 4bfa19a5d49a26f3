/** A relation event reduced to what aggregation needs, independent of the SDK's event model. */
export interface RelatedEvent {
  /** Undefined for local echoes that do not have a server ID yet. */
  readonly id: string | undefined
  readonly type: string
  readonly sender: string
  readonly timestamp: number
  /** Redacted, or being redacted by this device. */
  readonly redacted: boolean
  readonly relation: Readonly<Record<string, unknown>> | null
  readonly content: Readonly<Record<string, unknown>>
}

/** One emoji under a message: how many people reacted with it and whether the user did. */
export interface ReactionSummary {
  readonly key: string
  readonly count: number
  readonly mine: boolean
  /** The user's own reaction event, which removing the reaction redacts. */
  readonly myReactionId?: string
}

export interface Edit {
  readonly sender: string
  readonly timestamp: number
  readonly newContent: Readonly<Record<string, unknown>>
}

export interface RelationIndex {
  readonly reactions: ReadonlyMap<string, readonly ReactionSummary[]>
  readonly edits: ReadonlyMap<string, readonly Edit[]>
}

function stringField(record: Readonly<Record<string, unknown>> | null, key: string) {
  const value = record?.[key]
  return typeof value === 'string' ? value : undefined
}

/**
 * Gathers reactions (m.annotation) and edits (m.replace) by the event they relate to. Each
 * person counts once per emoji, however many reaction events they sent.
 */
export function indexRelations(events: readonly RelatedEvent[], me: string): RelationIndex {
  const reactors = new Map<string, Map<string, Map<string, string | undefined>>>()
  const edits = new Map<string, Edit[]>()
  for (const event of events) {
    if (event.redacted) continue
    const relType = stringField(event.relation, 'rel_type')
    const target = stringField(event.relation, 'event_id')
    if (target === undefined) continue
    if (event.type === 'm.reaction' && relType === 'm.annotation') {
      const key = stringField(event.relation, 'key')
      if (key === undefined || key === '') continue
      const byKey = reactors.get(target) ?? new Map<string, Map<string, string | undefined>>()
      reactors.set(target, byKey)
      const senders = byKey.get(key) ?? new Map<string, string | undefined>()
      byKey.set(key, senders)
      if (!senders.has(event.sender) || senders.get(event.sender) === undefined) {
        senders.set(event.sender, event.id)
      }
    } else if (event.type === 'm.room.message' && relType === 'm.replace') {
      const newContent = event.content['m.new_content']
      if (typeof newContent !== 'object' || newContent === null) continue
      const list = edits.get(target) ?? []
      edits.set(target, list)
      list.push({
        sender: event.sender,
        timestamp: event.timestamp,
        newContent: newContent as Record<string, unknown>,
      })
    }
  }
  const reactions = new Map<string, ReactionSummary[]>()
  for (const [target, byKey] of reactors) {
    reactions.set(
      target,
      [...byKey].map(([key, senders]) => {
        const summary: ReactionSummary = { key, count: senders.size, mine: senders.has(me) }
        const mine = senders.get(me)
        return mine === undefined ? summary : { ...summary, myReactionId: mine }
      }),
    )
  }
  return { reactions, edits }
}

/** The newest edit the original sender made; edits by anyone else are ignored. */
export function latestEdit(
  index: RelationIndex,
  targetId: string,
  originalSender: string,
): Edit | undefined {
  let latest: Edit | undefined
  for (const edit of index.edits.get(targetId) ?? []) {
    if (edit.sender !== originalSender) continue
    if (latest === undefined || edit.timestamp >= latest.timestamp) latest = edit
  }
  return latest
}
