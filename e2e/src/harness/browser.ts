import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

/** Debian's Chromium; CI installs it (.ci/run). No browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Containers give /dev/shm little room; Chromium's renderer crashes when it runs out.
    args: ['--disable-dev-shm-usage'],
  })
}

/** A fresh browser profile (its own storage) on the app at `baseUrl`, with its console kept. */
export async function openApp(
  browser: Browser,
  baseUrl: string,
): Promise<{ context: BrowserContext; page: Page; console: string[] }> {
  const context = await browser.newContext({ baseURL: baseUrl })
  const page = await context.newPage()
  const console: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') console.push(message.text())
  })
  page.on('pageerror', (error) => {
    console.push(`page error: ${error.message}`)
  })
  await page.goto('/')
  return { context, page, console }
}
