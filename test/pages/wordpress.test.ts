/**
 * The WordPress plugin (wordpress/ai-stream-chat) in a real WordPress from
 * Debian's packages (scripts/wordpress-site.mjs), opened in a real browser
 * engine (test/pages/engine-page.ts): a page with the [ai_stream_chat]
 * shortcode and a page with the block, both with the same attributes, load
 * the widget's classic script from the chat server the settings point at,
 * and stream an answer from it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWordPress, type WordPressSite } from '../../scripts/wordpress-site.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { type EngineBrowser, type EnginePage, inWidget, launchEngine } from './engine-page.js';

const QUESTION = '/echo Hello from **WordPress** \u2014 caf\u00e9.';
const ANSWER = 'Hello from **WordPress** \u2014 caf\u00e9.';
const WIDGET = 'document.querySelector("ai-stream-chat")';

const browser: EngineBrowser = await launchEngine();

describe(`the WordPress plugin in a real WordPress (Debian packages), in ${browser.name}`, () => {
  let chat: DevServer;
  let site: WordPressSite;

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
  });

  after(async () => {
    await browser.close();
    await site?.close();
    await chat?.close();
  });

  async function askOn(page: EnginePage, heading: string): Promise<void> {
    const attributes = await page.evaluate<{ count: number; url: string; heading: string }>(`({
      count: document.querySelectorAll('ai-stream-chat').length,
      url: ${WIDGET}.getAttribute('url'),
      heading: ${WIDGET}.getAttribute('heading'),
    })`);
    assert.deepEqual(attributes, {
      count: 1,
      url: `${chat.url.replace(/^http/, 'ws')}/ws`,
      heading,
    });
    const scripts = await page.evaluate<string[]>(
      "[...document.querySelectorAll('script[src]')].map((s) => s.src)",
    );
    assert.ok(
      scripts.includes(`${chat.url}/dist/ai-stream-chat.iife.js`),
      `the widget's script comes from the chat server: ${scripts.join(' ')}`,
    );
    await page.waitFor(`${inWidget('ai-stream-chat', '[part~="status"]')}?.textContent === ''`, 'connected');
    assert.equal(
      await page.evaluate(`${inWidget('ai-stream-chat', '[part~="heading"]')}.textContent`),
      heading,
    );
    assert.equal(
      await page.evaluate(`${inWidget('ai-stream-chat', 'textarea')}.getAttribute('placeholder')`),
      'Your question',
    );
    // Set as the text box's value (with its input event), as a paste would: typed, some
    // drivers send no key for an em dash.
    await page.click(inWidget('ai-stream-chat', 'textarea'));
    await page.evaluate(`(() => {
      const input = ${inWidget('ai-stream-chat', 'textarea')};
      input.value = ${JSON.stringify(QUESTION)};
      input.dispatchEvent(new Event('input', { bubbles: true }));
    })()`);
    await page.press('Enter');
    await page.waitFor(
      `${inWidget('ai-stream-chat', '[part~="copy-button"]')} !== null`,
      'a finished answer',
    );
    const answer = await page.evaluate<{ status: string; text: string }>(
      `(({ status, text }) => ({ status, text }))(${WIDGET}.messages.find((m) => m.role === 'assistant'))`,
    );
    assert.deepEqual(answer, { status: 'done', text: ANSWER });
    // The markdown is rendered, not shown as text: in an animation frame, which may come after the
    // answer's end showed its Copy button (the clean-clone run of 22a824f read it a frame early).
    await page.waitFor(
      `${inWidget('ai-stream-chat', '[part~="assistant"] strong')}?.textContent === 'WordPress'`,
      'the answer rendered as markdown',
    );
  }

  it('a page with the shortcode streams an answer from the chat server', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(site.pages.shortcode as string);
      assert.match(await page.evaluate<string>('document.title'), /Shortcode chat/);
      await askOn(page, 'Ask the shop');
    } finally {
      await page.close();
    }
  });

  it('a page with the block, same attributes, streams an answer too', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(site.pages.block as string);
      assert.match(await page.evaluate<string>('document.title'), /Block chat/);
      await askOn(page, 'Ask the block');
    } finally {
      await page.close();
    }
  });
});
