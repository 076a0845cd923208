/**
 * The WordPress plugin (wordpress/ai-stream-chat) in a real WordPress from
 * Debian's packages (scripts/wordpress-site.mjs), opened in Chromium: a page
 * with the [ai_stream_chat] shortcode and a page with the block, both with
 * the same attributes, load the widget's classic script from the chat
 * server the settings point at, and stream an answer from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/system-deps.mjs';
import { CHROMIUM_HOST_RULES, startWordPress, type WordPressSite } from '../../scripts/wordpress-site.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';

const QUESTION = '/echo Hello from **WordPress** \u2014 caf\u00e9.';
const ANSWER = 'Hello from **WordPress** \u2014 caf\u00e9.';

describe('the WordPress plugin in a real WordPress (Debian packages)', () => {
  let chat: DevServer;
  let site: WordPressSite;
  let browser: Browser;

  before(async () => {
    chat = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: 400 }),
    });
    site = await startWordPress({
      chatServerUrl: chat.url,
      pages: {
        shortcode: {
          title: 'Shortcode chat',
          content:
            '<p>Questions?</p>\n[ai_stream_chat heading="Ask the shop" placeholder="Your question" persist="none"]',
        },
        block: {
          title: 'Block chat',
          content:
            '<!-- wp:paragraph --><p>Questions?</p><!-- /wp:paragraph -->\n' +
            '<!-- wp:ai-stream-chat/chat {"heading":"Ask the block","placeholder":"Your question","persist":"none"} /-->',
        },
      },
    });
    browser = await chromium.launch({
      executablePath: findChromium(),
      args: [...CHROMIUM_ARGS, CHROMIUM_HOST_RULES],
    });
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await chat?.close();
  });

  async function askOn(page: Page, heading: string): Promise<void> {
    const widget = page.locator('ai-stream-chat');
    assert.equal(await widget.count(), 1, 'one widget on the page');
    assert.equal(await widget.getAttribute('url'), `${chat.url.replace(/^http/, 'ws')}/ws`);
    assert.equal(await widget.getAttribute('heading'), heading);
    assert.equal(await page.locator('[part~="heading"]').textContent(), heading);
    assert.equal(await page.locator('ai-stream-chat textarea').getAttribute('placeholder'), 'Your question');
    const scripts = await page
      .locator('script[src]')
      .evaluateAll((nodes) => nodes.map((n) => (n as HTMLScriptElement).src));
    assert.ok(
      scripts.includes(`${chat.url}/dist/ai-stream-chat.iife.js`),
      `the widget's script comes from the chat server: ${scripts.join(' ')}`,
    );
    await page.waitForFunction(
      () =>
        document.querySelector('ai-stream-chat')?.shadowRoot?.querySelector('[part~="status"]')
          ?.textContent === '',
    );
    await page.locator('ai-stream-chat textarea').fill(QUESTION);
    await page.locator('ai-stream-chat textarea').press('Enter');
    await page.locator('ai-stream-chat [part~="copy-button"]').waitFor();
    const answer = await widget.evaluate((el) =>
      (el as unknown as { messages: { role: string; status: string; text: string }[] }).messages.find(
        (m) => m.role === 'assistant',
      ),
    );
    assert.deepEqual({ status: answer?.status, text: answer?.text }, { status: 'done', text: ANSWER });
    // The markdown is rendered, not shown as text.
    assert.equal(await page.locator('ai-stream-chat [part~="assistant"] strong').textContent(), 'WordPress');
  }

  it('a page with the shortcode streams an answer from the chat server', async () => {
    const page = await browser.newPage();
    const response = await page.goto(site.pages.shortcode as string);
    assert.equal(response?.status(), 200);
    assert.match(await page.title(), /Shortcode chat/);
    await askOn(page, 'Ask the shop');
    await page.close();
  });

  it('a page with the block, same attributes, streams an answer too', async () => {
    const page = await browser.newPage();
    const response = await page.goto(site.pages.block as string);
    assert.equal(response?.status(), 200);
    await askOn(page, 'Ask the block');
    await page.close();
  });
});
