import { escapeHtml, type TextContent } from './markdown'

export interface Mentionable {
  readonly userId: string
  readonly name: string
}

/** The `@word` being typed just before the caret, and where it starts. */
export interface MentionQuery {
  readonly start: number
  readonly query: string
}

/** Finds the mention being typed: an `@` at the start or after a space, up to the caret. */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret)
  const match = /(?:^|\s)@([^\s@]*)$/.exec(before)
  if (match === null) return undefined
  const query = match[1] ?? ''
  return { start: caret - query.length - 1, query }
}

/** Members whose name or user ID contains the query, those that start with it first. */
export function matchMembers(
  members: readonly Mentionable[],
  query: string,
  limit = 6,
): Mentionable[] {
  const wanted = query.toLowerCase()
  const rank = (member: Mentionable): number => {
    const name = member.name.toLowerCase()
    const id = member.userId.slice(1).toLowerCase()
    if (name.startsWith(wanted) || id.startsWith(wanted)) return 0
    if (name.includes(wanted) || id.includes(wanted)) return 1
    return 2
  }
  return members
    .map((member) => ({ member, rank: rank(member) }))
    .filter(({ rank }) => rank < 2)
    .sort((a, b) => a.rank - b.rank || a.member.name.localeCompare(b.member.name))
    .slice(0, limit)
    .map(({ member }) => member)
}

/** Replaces the typed `@query` with the member's name and a space; returns the new caret. */
export function insertMention(
  text: string,
  at: MentionQuery,
  member: Mentionable,
): { text: string; caret: number } {
  const end = at.start + 1 + at.query.length
  const inserted = `${member.name} `
  return {
    text: text.slice(0, at.start) + inserted + text.slice(end),
    caret: at.start + inserted.length,
  }
}

export function mentionLink(userId: string): string {
  return `https://matrix.to/#/${userId}`
}

/** Replaces the first occurrence of `needle` outside tags and links with `replacement`. */
function replaceInText(html: string, needle: string, replacement: string): string | undefined {
  const parts = html.split(/(<[^>]*>)/)
  let inLink = 0
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? ''
    if (part.startsWith('<')) {
      if (/^<a[\s>]/i.test(part)) inLink++
      else if (/^<\/a>/i.test(part)) inLink = Math.max(0, inLink - 1)
      continue
    }
    if (inLink > 0) continue
    const index = part.indexOf(needle)
    if (index === -1) continue
    parts[i] = part.slice(0, index) + replacement + part.slice(index + needle.length)
    return parts.join('')
  }
  return undefined
}

/**
 * Adds the chosen mentions to message content: each name still in the text becomes a link
 * pill to the user in formatted_body and the user joins `m.mentions`. The body keeps the
 * plain name, which is what clients without HTML show.
 */
export function withMentions(content: TextContent, chosen: readonly Mentionable[]): TextContent {
  let html = content.formatted_body ?? escapeHtml(content.body).replace(/\r?\n/g, '<br>')
  const userIds = [...(content['m.mentions']?.user_ids ?? [])]
  let linked = false
  for (const member of chosen) {
    if (!content.body.includes(member.name)) continue
    const pill = `<a href="${escapeHtml(mentionLink(member.userId))}">${escapeHtml(member.name)}</a>`
    const replaced = replaceInText(html, escapeHtml(member.name), pill)
    if (replaced === undefined) continue
    html = replaced
    linked = true
    if (!userIds.includes(member.userId)) userIds.push(member.userId)
  }
  if (!linked) return content
  return {
    ...content,
    format: 'org.matrix.custom.html',
    formatted_body: html,
    'm.mentions': { user_ids: userIds },
  }
}
