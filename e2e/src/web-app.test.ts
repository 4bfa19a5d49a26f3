/**
 * The web app in a real browser (Debian's Chromium through playwright-core), served by the real
 * homeserver at `/`: two people register in two browser profiles, one starts a direct chat with
 * the other, who accepts, and they exchange messages that each sees decrypted, while the server
 * holds only ciphertext, with a reaction, an edit, a reply and an image; a reload keeps the
 * session. Then the homeserver stops: a banner says it cannot be reached, and a message written
 * meanwhile waits in the outbox, shown as pending, and reaches the other person exactly once when
 * the server is back. Screenshots of the main views are saved under test-artifacts/web.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HomeserverProcess } from './harness/homeserver.js'
import { launchChromium, openApp } from './harness/browser.js'

const PASSWORD = 'a long enough password'
/** A 1x1 PNG. */
const PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
/** Where the views' screenshots go (a CI artefact; the README shows copies in docs/). */
const SCREENSHOTS = join(import.meta.dirname, '../../test-artifacts/web')

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}
const UI_TIMEOUT_MS = 20_000

async function register(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('navigation', { name: 'Rooms' }).waitFor({ timeout: UI_TIMEOUT_MS })
}

async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByLabel('Message')
  await composer.fill(text)
  await composer.press('Enter')
}

/** Waits until the open room's timeline shows `text`. */
async function expectInTimeline(page: Page, text: string): Promise<void> {
  await page
    .getByRole('list', { name: 'Timeline' })
    .getByText(text, { exact: false })
    .first()
    .waitFor({ timeout: UI_TIMEOUT_MS })
}

/** The open room's events as the server serves them to the page's user. */
async function serverCopy(
  server: HomeserverProcess,
  page: Page,
): Promise<{ types: string[]; text: string }> {
  const storage = await page.context().storageState()
  const session = storage.origins
    .flatMap((origin) => origin.localStorage)
    .find((item) => item.name === 'rhizome.session')
  const { accessToken } = JSON.parse(session?.value ?? '{}') as { accessToken?: string }
  const headers = { authorization: `Bearer ${accessToken ?? ''}` }
  const joined = (await (
    await fetch(`${server.baseUrl}/_matrix/client/v3/joined_rooms`, { headers })
  ).json()) as { joined_rooms: string[] }
  const types: string[] = []
  let text = ''
  for (const roomId of joined.joined_rooms) {
    const response = await fetch(
      `${server.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`,
      { headers },
    )
    const body = (await response.json()) as { chunk: { type: string }[] }
    types.push(...body.chunk.map((event) => event.type))
    text += JSON.stringify(body.chunk)
  }
  return { types, text }
}

describe('the web app', () => {
  let server: HomeserverProcess
  let browser: Browser

  beforeAll(async () => {
    server = await HomeserverProcess.start()
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser.close()
    await server.destroy()
  })

  it('lets two people register, start a chat and talk, and keeps the session on reload', async () => {
    const tag = Date.now().toString(36)
    const alice = await openApp(browser, server.baseUrl)
    const bob = await openApp(browser, server.baseUrl)
    await alice.page.getByLabel('Username').waitFor({ timeout: UI_TIMEOUT_MS })
    await screenshot(alice.page, 'sign-in')
    await register(alice.page, `alice${tag}`)
    await register(bob.page, `bob${tag}`)
    const bobId = `@bob${tag}:${server.serverName}`

    await alice.page.getByRole('button', { name: 'Start chat' }).click()
    await alice.page.getByLabel('User ID').fill(bobId)
    await alice.page.getByRole('button', { name: 'Start', exact: true }).click()
    await alice.page.getByLabel('Message').waitFor({ timeout: UI_TIMEOUT_MS })
    await send(alice.page, 'Hello **Bob**, from the browser')

    for (const { page } of [alice, bob]) {
      await page.getByText('Encryption on').waitFor({ timeout: UI_TIMEOUT_MS })
    }
    await bob.page
      .getByRole('button', { name: /^Accept invite to / })
      .click({ timeout: UI_TIMEOUT_MS })
    await expectInTimeline(bob.page, 'from the browser')
    // Markdown went out as formatted_body and shows as bold.
    await bob.page
      .getByRole('list', { name: 'Timeline' })
      .locator('strong', { hasText: 'Bob' })
      .first()
      .waitFor({ timeout: UI_TIMEOUT_MS })
    await send(bob.page, 'Hi Alice, got it')
    await expectInTimeline(alice.page, 'got it')
    // A reaction, an edit, a reply and an image, each seen by the other side.
    const aliceMessage = (page: Page) =>
      page
        .getByRole('list', { name: 'Timeline' })
        .getByRole('listitem')
        .filter({ hasText: 'from the browser' })
    await aliceMessage(bob.page).getByRole('button', { name: 'React', exact: true }).click()
    await bob.page.getByRole('button', { name: 'React with 👍' }).click()
    await aliceMessage(alice.page)
      .getByRole('button', { name: '👍 1' })
      .waitFor({ timeout: UI_TIMEOUT_MS })

    await aliceMessage(alice.page).getByRole('button', { name: 'Edit', exact: true }).click()
    const composer = alice.page.getByLabel('Message')
    await composer.fill('Hello **Bob**, from the browser, edited')
    await composer.press('Enter')
    await aliceMessage(bob.page).getByText('(edited)').waitFor({ timeout: UI_TIMEOUT_MS })
    await expectInTimeline(bob.page, 'from the browser, edited')

    await aliceMessage(bob.page).getByRole('button', { name: 'Reply', exact: true }).click()
    await bob.page.getByText(/^Replying to /).waitFor({ timeout: UI_TIMEOUT_MS })
    await send(bob.page, 'a reply to that')
    const reply = alice.page
      .getByRole('list', { name: 'Timeline' })
      .getByRole('listitem')
      .filter({ hasText: 'a reply to that' })
    await reply
      .locator('blockquote', { hasText: 'from the browser, edited' })
      .waitFor({ timeout: UI_TIMEOUT_MS })

    await alice.page.getByLabel('Attach file').setInputFiles({
      name: 'pixel.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PIXEL_PNG, 'base64'),
    })
    const image = bob.page.getByRole('list', { name: 'Timeline' }).getByAltText('pixel.png')
    await image.waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await image.getAttribute('src')).toMatch(/^blob:/)
    await screenshot(alice.page, 'conversation')
    await alice.page.setViewportSize({ width: 375, height: 740 })
    await screenshot(alice.page, 'conversation-phone')
    await alice.page.setViewportSize({ width: 1280, height: 720 })

    // What the server stored and serves is ciphertext: the DM was encrypted by default.
    const stored = await serverCopy(server, alice.page)
    expect(stored.types).toContain('m.room.encrypted')
    expect(stored.types).not.toContain('m.room.message')
    expect(stored.text).not.toContain('from the browser')
    expect(stored.text).not.toContain('got it')

    await alice.page.reload()
    await alice.page.getByRole('navigation', { name: 'Rooms' }).waitFor({ timeout: UI_TIMEOUT_MS })
    expect(await alice.page.getByRole('button', { name: 'Sign in' }).count()).toBe(0)

    expect(alice.console.filter((line) => line.startsWith('page error'))).toEqual([])
    expect(bob.console.filter((line) => line.startsWith('page error'))).toEqual([])
  }, 120_000)

  it('queues what is written while the server is down, and delivers it once when it is back', async () => {
    const tag = `q${Date.now().toString(36)}`
    const alice = await openApp(browser, server.baseUrl)
    const bob = await openApp(browser, server.baseUrl)
    await register(alice.page, `alice${tag}`)
    await register(bob.page, `bob${tag}`)
    await alice.page.getByRole('button', { name: 'Start chat' }).click()
    await alice.page.getByLabel('User ID').fill(`@bob${tag}:${server.serverName}`)
    await alice.page.getByRole('button', { name: 'Start', exact: true }).click()
    await send(alice.page, 'before the outage')
    await bob.page
      .getByRole('button', { name: /^Accept invite to / })
      .click({ timeout: UI_TIMEOUT_MS })
    await expectInTimeline(bob.page, 'before the outage')

    await server.stop()
    const queued = 'written while the server was down'
    await send(alice.page, queued)
    const pending = alice.page
      .getByRole('list', { name: 'Timeline' })
      .getByRole('listitem')
      .filter({ hasText: queued })
    await pending.getByText(/Waiting for connection|Sending…/).waitFor({ timeout: UI_TIMEOUT_MS })
    // The app says the server cannot be reached, and what was loaded stays readable.
    const banner = alice.page.getByRole('status').filter({ hasText: /^Can't reach / })
    await banner.waitFor({ timeout: UI_TIMEOUT_MS })
    await expectInTimeline(alice.page, 'before the outage')
    await screenshot(alice.page, 'outbox-pending')

    await server.launch()
    await expectInTimeline(bob.page, queued)
    await banner.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS })
    await pending
      .getByText(/Waiting for connection|Sending…/)
      .waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS })
    // Exactly once, on both sides, even after both pages reload from the server.
    for (const { page } of [alice, bob]) {
      await page.reload()
      await page.getByRole('navigation', { name: 'Rooms' }).waitFor({ timeout: UI_TIMEOUT_MS })
      await page
        .getByRole('button', { name: /^alice|^bob|^@/ })
        .first()
        .click()
      await expectInTimeline(page, queued)
      const copies = page.getByRole('list', { name: 'Timeline' }).getByText(queued)
      expect(await copies.count()).toBe(1)
    }
  }, 120_000)
})
