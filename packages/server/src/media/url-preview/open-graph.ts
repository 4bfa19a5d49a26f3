/**
 * OpenGraph metadata (https://ogp.me) from the head of an HTML page, for URL previews: the
 * `og:*` meta tags, with the page's <title> and description meta tag standing in for a missing
 * og:title and og:description. A scan of tags, not a full HTML parse: only the head matters,
 * and whatever a page holds, the output is a few bounded strings.
 */

const MAX_KEYS = 50
const MAX_VALUE_LENGTH = 2000

const META_TAG = /<meta\b([^>]*)>/gi
const ATTRIBUTE = /([a-zA-Z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g
const TITLE = /<title\b[^>]*>([^<]*)<\/title>/i

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1))
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : whole
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole
  })
}

function attributesOf(tag: string): Map<string, string> {
  const attributes = new Map<string, string>()
  for (const match of tag.matchAll(ATTRIBUTE)) {
    const name = match[1]?.toLowerCase()
    const value = match[2] ?? match[3] ?? match[4] ?? ''
    if (name !== undefined && !attributes.has(name)) attributes.set(name, value)
  }
  return attributes
}

function clean(value: string): string {
  return decodeEntities(value).replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE_LENGTH)
}

/** The page's OpenGraph values by key; og:image made absolute against the page's URL. */
export function parseOpenGraph(html: string, pageUrl: URL): Map<string, string> {
  const og = new Map<string, string>()
  let description: string | undefined
  for (const match of html.matchAll(META_TAG)) {
    const attributes = attributesOf(match[1] ?? '')
    const key = (attributes.get('property') ?? attributes.get('name'))?.toLowerCase()
    const content = attributes.get('content')
    if (key === undefined || content === undefined) continue
    if (key === 'description' && description === undefined) description = clean(content)
    if (key.startsWith('og:') && !og.has(key) && og.size < MAX_KEYS) {
      const value = clean(content)
      if (value !== '') og.set(key, value)
    }
  }
  if (!og.has('og:title')) {
    const title = TITLE.exec(html)?.[1]
    if (title !== undefined && clean(title) !== '') og.set('og:title', clean(title))
  }
  if (!og.has('og:description') && description !== undefined && description !== '') {
    og.set('og:description', description)
  }
  const image = og.get('og:image') ?? og.get('og:image:url') ?? og.get('og:image:secure_url')
  og.delete('og:image')
  og.delete('og:image:url')
  og.delete('og:image:secure_url')
  if (image !== undefined && URL.canParse(image, pageUrl.href)) {
    og.set('og:image', new URL(image, pageUrl).href)
  }
  return og
}
