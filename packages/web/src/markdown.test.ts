// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { messageContent } from './markdown'
import { sanitizeHtml } from './sanitizeHtml'

describe('messageContent', () => {
  it('sends plain text without formatted_body', () => {
    expect(messageContent('hello there & you')).toEqual({
      msgtype: 'm.text',
      body: 'hello there & you',
    })
    expect(messageContent('two\nlines')).toEqual({ msgtype: 'm.text', body: 'two\nlines' })
  })

  it('renders emphasis and code', () => {
    const content = messageContent('**bold** and _it_ and `x < y`')
    expect(content.body).toBe('**bold** and _it_ and `x < y`')
    expect(content.format).toBe('org.matrix.custom.html')
    expect(content.formatted_body).toBe(
      '<strong>bold</strong> and <em>it</em> and <code>x &lt; y</code>',
    )
  })

  it('renders fenced code blocks with their content escaped', () => {
    const content = messageContent('```\n<b>hi</b>\n```')
    expect(content.formatted_body).toBe('<pre><code>&lt;b&gt;hi&lt;/b&gt;\n</code></pre>')
  })

  it('renders links and drops unsafe ones', () => {
    const link = messageContent('[site](https://example.org)')
    expect(link.formatted_body).toContain('href="https://example.org"')
    expect(link.formatted_body).toContain('>site</a>')
    const script = messageContent('[x](javascript:alert(1))')
    expect(script.formatted_body ?? '').not.toContain('javascript:')
  })

  it('shows typed HTML as text rather than interpreting it', () => {
    const content = messageContent('<img src=x onerror=alert(1)> **hi**')
    expect(content.formatted_body).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(content.formatted_body).not.toContain('<img')
    expect(messageContent('<script>alert(1)</script>')).toEqual({
      msgtype: 'm.text',
      body: '<script>alert(1)</script>',
    })
  })
})

describe('sanitizeHtml', () => {
  it('keeps allowed formatting and strips scripts, handlers and images', () => {
    const html = sanitizeHtml(
      '<b onclick="x()">b</b><script>alert(1)</script><img src="https://t/x.png"><a href="https://a.b">l</a>',
    )
    expect(html).toBe(
      '<b>b</b><a href="https://a.b" target="_blank" rel="noreferrer noopener">l</a>',
    )
  })
})
