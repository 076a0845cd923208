/**
 * Takes the README's screenshots of the demo page in real Chromium
 * (playwright-core, the same Chromium and flags as the browser tests):
 * docs/screenshots/light.png, dark.png and mobile.png.
 *
 * Starts the built dev server (run `npm run build` first; `npm run
 * screenshots` does both) on a free port with mock answers at full speed and
 * the demo controls on, then plays a short story on the demo page: slow
 * network on, a question, the connection dropped mid-answer, the network
 * back to full speed, the answer resumed and finished. The event log shows
 * all of it.
 *
 * docs/screenshots/thinking.png and thought.png: the inline chat of the demo
 * against a server with `--mock-parts`, while the model thinks (its reasoning
 * open, a tool step running) and once the answer is done (the reasoning
 * closed to "Thought for N s", the step done, the sources under the answer).
 *
 * Then docs/screenshots/wordpress.png: the WordPress plugin's shortcode on a
 * page of a real WordPress from Debian's packages (scripts/wordpress-site.mjs;
 * installed with apt-get when missing and possible), with an answer streamed
 * from a second dev server (no sessions: the plugin's default).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startCli } from './start-cli.mjs';
import { CHROMIUM_ARGS, ensureChromium } from './system-deps.mjs';
import { startWordPress } from './wordpress-site.mjs';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'docs', 'screenshots');
/** A free port, mock answers at full speed, the demo controls on. */
const SERVER_ARGS = ['--port', '0', '--rate', 'max', '--demo-controls', '--require-session'];
const QUESTION = 'How do I stream tokens to the browser without losing any?';

/** Waits until every widget on the page is connected (status line empty). */
async function widgetsConnected(page) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('ai-stream-chat')].every(
      (el) => el.shadowRoot?.querySelector('[part~="status"]')?.textContent === '',
    ),
  );
}

/** Waits until `selector`'s widget has `count` finished answers and a drawn code block. */
async function answered(page, selector, count = 1) {
  await page.waitForFunction(
    ({ selector, count }) => {
      const el = document.querySelector(selector);
      const done = el?.messages.filter((m) => m.role === 'assistant' && m.status === 'done');
      return done?.length >= count && el.shadowRoot.querySelector('pre code');
    },
    { selector, count },
    { timeout: 60_000 },
  );
  // Two frames for the last render and the scroll to the bottom.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function shoot(page, name) {
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  process.stdout.write(`wrote ${path.slice(root.length)}\n`);
}

async function desktop(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'light' });
  await page.goto(`${url}/`);
  await widgetsConnected(page);
  await page.locator('#network:not([disabled])').waitFor();

  // The story: slow network, a question, a drop mid-answer, full speed, resume.
  await page.getByLabel(/Slow network/).check();
  await page.locator('#event-log li', { hasText: 'waits 300 ms' }).waitFor();
  await page.locator('#inline-chat textarea').fill(QUESTION);
  await page.locator('#inline-chat textarea').press('Enter');
  await page.waitForFunction(
    () => (document.querySelector('#inline-chat')?.messages.at(-1)?.text.length ?? 0) > 40,
    undefined,
    { timeout: 30_000 },
  );
  await page.getByRole('button', { name: 'Drop connection' }).click();
  await page.locator('#event-log li', { hasText: 'dropped' }).waitFor();
  await page.getByLabel(/Slow network/).uncheck();
  await answered(page, '#inline-chat');
  await widgetsConnected(page);
  await shoot(page, 'light');

  // The dark one shows a chosen thumb too.
  await page.locator('#inline-chat [part~="feedback-up-button"]').click();
  await page.locator('#event-log li', { hasText: 'thumbs up' }).waitFor();
  await page.getByLabel('Dark', { exact: true }).check();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await shoot(page, 'dark');
  await page.close();
}

async function mobile(browser, url) {
  const page = await browser.newPage({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await page.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'light' });
  await page.goto(`${url}/`);
  await widgetsConnected(page);
  await page.locator('#floating-chat [part~="launcher"]').click();
  await page.locator('#floating-chat textarea').fill(QUESTION);
  await page.locator('#floating-chat textarea').press('Enter');
  await answered(page, '#floating-chat');
  await page.locator('#floating-chat textarea').blur();
  await shoot(page, 'mobile');
  await page.close();
}

/** The parts of an answer: thinking, then done (mock answers at 12 tokens/s, so the thinking is seen). */
async function answerParts(browser) {
  const chat = await startCli([
    ...SERVER_ARGS.filter((a) => a !== 'max' && a !== '--rate'),
    '--rate',
    '12',
    '--sections',
    '1',
    '--mock-parts',
  ]);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'light' });
    await page.goto(`${chat.url}/`);
    await widgetsConnected(page);
    const inline = page.locator('#inline-chat');
    await inline.locator('textarea').fill('How do I resume a dropped stream?');
    await inline.locator('textarea').press('Enter');
    // Thinking: the step has started and a few lines of reasoning are on screen.
    await page.waitForFunction(
      () => (document.querySelector('#inline-chat')?.messages.at(-1)?.tools?.length ?? 0) > 0,
      undefined,
      { timeout: 60_000 },
    );
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await shootElement(inline, 'thinking');
    await answered(page, '#inline-chat');
    // Tall enough to show the whole answer: the closed reasoning, the step, the text, the sources.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await inline.evaluate((el) => el.style.setProperty('--ai-chat-height', '1150px'));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await shootElement(inline, 'thought');
    await page.close();
  } finally {
    chat.child.kill('SIGTERM');
  }
}

async function shootElement(locator, name) {
  const path = join(outDir, `${name}.png`);
  await locator.screenshot({ path, animations: 'disabled', caret: 'hide' });
  process.stdout.write(`wrote ${path.slice(root.length)}\n`);
}

/** The shortcode on a WordPress page (Debian's default theme), with a finished answer. */
async function wordpress(browser) {
  const chat = await startCli(['--port', '0', '--rate', 'max']);
  const site = await startWordPress({
    chatServerUrl: chat.url,
    pages: {
      help: {
        title: 'Help',
        content:
          '<!-- wp:paragraph --><p>Ask about orders, shipping and returns. The answer streams in as it is written.</p><!-- /wp:paragraph -->\n' +
          '[ai_stream_chat heading="Ask the shop" persist="none"]',
      },
    },
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    await page.emulateMedia({ reducedMotion: 'reduce', colorScheme: 'light' });
    await page.goto(site.pages.help);
    await widgetsConnected(page);
    await page.locator('ai-stream-chat textarea').fill(QUESTION);
    await page.locator('ai-stream-chat textarea').press('Enter');
    await answered(page, 'ai-stream-chat');
    await page.locator('ai-stream-chat').scrollIntoViewIfNeeded();
    await shoot(page, 'wordpress');
    await page.close();
  } finally {
    await site.close();
    chat.child.kill('SIGTERM');
  }
}

mkdirSync(outDir, { recursive: true });
const executablePath = ensureChromium();
const server = await startCli(SERVER_ARGS).catch((error) => {
  throw new Error(`${error.message} (run npm run build?)`);
});
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
try {
  const only = process.argv.find((a) => a.endsWith('-only'));
  if (!only) {
    await desktop(browser, server.url);
    await mobile(browser, server.url);
  }
  if (!only || only === '--parts-only') await answerParts(browser);
  if (!only || only === '--wordpress-only') await wordpress(browser);
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
}
