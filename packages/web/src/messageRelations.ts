import { messageContent, type TextContent } from './markdown'

/**
 * Content that replaces `targetId` with what the user typed. The top-level body is what
 * clients without edit support show; `m.new_content` carries the Markdown as well.
 */
export function editContent(targetId: string, text: string): TextContent {
  const replacement = messageContent(text)
  const fallback: TextContent = { ...replacement, body: `* ${replacement.body}` }
  if (replacement.formatted_body !== undefined) {
    fallback.formatted_body = `* ${replacement.formatted_body}`
  }
  return {
    ...fallback,
    'm.new_content': replacement,
    'm.relates_to': { rel_type: 'm.replace', event_id: targetId },
  }
}

/**
 * Content that answers `targetId`. No quote of the original goes into the body: current
 * clients show the replied-to event itself. The author of the original is mentioned.
 */
export function replyContent(text: string, targetId: string, targetSender: string): TextContent {
  return {
    ...messageContent(text),
    'm.relates_to': { 'm.in_reply_to': { event_id: targetId } },
    'm.mentions': { user_ids: [targetSender] },
  }
}

/** The event a message replies to, if it is a reply. */
export function replyTarget(content: Readonly<Record<string, unknown>>): string | undefined {
  const relation = content['m.relates_to']
  if (typeof relation !== 'object' || relation === null) return undefined
  const inReplyTo = (relation as Record<string, unknown>)['m.in_reply_to']
  if (typeof inReplyTo !== 'object' || inReplyTo === null) return undefined
  const eventId = (inReplyTo as Record<string, unknown>)['event_id']
  return typeof eventId === 'string' ? eventId : undefined
}

/** Whether an outbox entry changes an earlier message rather than adding one. */
export function isEdit(content: TextContent): boolean {
  return content['m.relates_to']?.rel_type === 'm.replace'
}
