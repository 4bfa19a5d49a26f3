import { describe, expect, it } from 'vitest'
import { decodeEntities, parseOpenGraph } from './open-graph.js'

const page = new URL('https://example.com/blog/post?id=1')

describe('parseOpenGraph', () => {
  it('reads og tags in either quoting and attribute order, first one winning', () => {
    const og = parseOpenGraph(
      `<head><meta content="First" property="og:title"><meta property='og:title' content='Second'>
       <META PROPERTY=og:type CONTENT=article><meta name="og:description" content="  spaced
       out  "></head>`,
      page,
    )
    expect(Object.fromEntries(og)).toEqual({
      'og:title': 'First',
      'og:type': 'article',
      'og:description': 'spaced out',
    })
  })

  it('falls back to the title and description, and resolves the image', () => {
    const og = parseOpenGraph(
      `<title>The &lt;Title&gt;</title><meta name="description" content="About &quot;it&quot;">
       <meta property="og:image" content="../img/a.png">`,
      page,
    )
    expect(Object.fromEntries(og)).toEqual({
      'og:title': 'The <Title>',
      'og:description': 'About "it"',
      'og:image': 'https://example.com/img/a.png',
    })
  })

  it('bounds what a hostile page can produce', () => {
    const tags = Array.from(
      { length: 500 },
      (_, i) => `<meta property="og:k${i}" content="${'x'.repeat(5000)}">`,
    )
    const og = parseOpenGraph(tags.join(''), page)
    expect(og.size).toBeLessThanOrEqual(50)
    for (const value of og.values()) expect(value.length).toBeLessThanOrEqual(2000)
  })

  it('decodes numeric entities and leaves broken ones', () => {
    expect(decodeEntities('&#233;&#x2603;&amp;&bogus;&#xD800;&#0;')).toBe('é☃&&bogus;&#xD800;&#0;')
  })
})
