import { Marked, type Tokens } from 'marked'
import { sanitizeHtml } from './sanitizeHtml'

/** The body of an m.room.message with msgtype m.text, optionally with HTML. */
export interface TextContent {
  msgtype: 'm.text'
  body: string
  format?: 'org.matrix.custom.html'
  formatted_body?: string
  'm.new_content'?: TextContent
  'm.relates_to'?: {
    rel_type?: 'm.replace'
    event_id?: string
    'm.in_reply_to'?: { event_id: string }
  }
  'm.mentions'?: { user_ids: string[] }
}

/** Text made safe to put in HTML, as text or in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const markdown = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Typed HTML is shown as text, never interpreted: people paste snippets, not markup.
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text)
    },
  },
})

// Output made only of these tags carries nothing the plain body does not.
const PLAIN_TAGS = /<\/?(?:p|br)\s*\/?>/g

/**
 * Converts what the user typed to message content. Markdown becomes a sanitised
 * formatted_body; text without markup is sent as body alone.
 */
export function messageContent(text: string): TextContent {
  const html = sanitizeHtml(markdown.parse(text, { async: false }).trim())
  if (!/<[a-z]/i.test(html.replace(PLAIN_TAGS, ''))) return { msgtype: 'm.text', body: text }
  // A single paragraph is unwrapped, as other clients do, so short messages stay inline.
  const unwrapped = /^<p>(?:(?!<p>).)*<\/p>$/s.test(html) ? html.slice(3, -4) : html
  return {
    msgtype: 'm.text',
    body: text,
    format: 'org.matrix.custom.html',
    formatted_body: unwrapped,
  }
}
