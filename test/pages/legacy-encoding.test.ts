/**
 * The widget on a legacy page, in real Chromium: a windows-1252 page that
 * declares no charset (as many older CMS themes are), loading the classic
 * script served with no charset parameter, so the browser decodes the
 * script in windows-1252 too. A control script with raw UTF-8 proves the
 * page really decodes that way; the widget's own text, the status line for
 * a server it never reached, and an answer streamed with non-ASCII text
 * must all read right.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/system-deps.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';

const root = new URL('../..', import.meta.url).pathname;
const ANSWER =
  'Gr\u00fc\u00dfe \u2014 caf\u00e9 \u201cquoted\u201d \u00bd \u203c\ufe0f \u65e5\u672c\u8a9e \ud83d\ude80';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The page, as windows-1252 bytes: `é` is the single byte 0xE9. No <meta charset>, no charset in the response. */
function legacyPage(liveUrl: string, deadUrl: string): Buffer {
  const html = `<!doctype html>
<html lang="en"><head><title>Caf\u00e9 cr\u00e8me</title>
<script src="/control.js"></script>
<script src="/ai-stream-chat.iife.js"></script>
</head><body>
<p id="native">Caf\u00e9 cr\u00e8me</p>
<ai-stream-chat id="live" url="${liveUrl}" persist="none"></ai-stream-chat>
<ai-stream-chat id="dead" url="${deadUrl}" persist="none" mode="floating"></ai-stream-chat>
</body></html>`;
  return Buffer.from(html, 'latin1');
}

describe('a windows-1252 page without a charset, loading the classic script without a charset', () => {
  let chat: DevServer;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    chat = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
    });
    const liveUrl = `${chat.url.replace(/^http/, 'ws')}/ws`;
    const deadUrl = `ws://127.0.0.1:${await closedPort()}/ws`;
    const bundle = readFileSync(`${root}dist/ai-stream-chat.iife.js`);
    site = createServer((request, response) => {
      if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html' }).end(legacyPage(liveUrl, deadUrl));
      } else if (request.url === '/ai-stream-chat.iife.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else if (request.url === '/control.js') {
        // Raw UTF-8 for "…": a page decoding scripts in windows-1252 reads it as "â€¦".
        response
          .writeHead(200, { 'content-type': 'text/javascript' })
          .end(Buffer.from('window.rawUtf8Ellipsis = "\u2026";', 'utf8'));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.goto(`${siteUrl}/`);
  });

  after(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await chat?.close();
  });

  it('the page and its scripts are decoded as windows-1252 (the control reads raw UTF-8 as mojibake)', async () => {
    assert.equal(await page.evaluate(() => document.characterSet), 'windows-1252');
    assert.equal(await page.locator('#native').textContent(), 'Caf\u00e9 cr\u00e8me');
    assert.equal(
      await page.evaluate(() => (window as unknown as { rawUtf8Ellipsis: string }).rawUtf8Ellipsis),
      '\u00e2\u20ac\u00a6',
    );
  });

  it("the widget's own text reads right: placeholder, close button, pending message", async () => {
    await page.locator('#live textarea').waitFor();
    assert.equal(await page.locator('#live textarea').getAttribute('placeholder'), 'Ask anything\u2026');
    assert.equal((await page.locator('#dead [part~="close-button"]').textContent())?.trim(), '\u00d7');
    await page.locator('#dead').evaluate((el) => (el as unknown as { send(text: string): void }).send('hi'));
    // The floating panel is closed: the note is in the DOM, not visible.
    await page.locator('#dead').getByText('Waiting to send\u2026').waitFor({ state: 'attached' });
  });

  it("a server never reached: the status says it can't be reached, not that a connection was lost", async () => {
    const status = page.locator('#dead [part~="status"] span');
    await page.waitForFunction(
      () =>
        /Retrying in \d+ s/.test(
          document.querySelector('#dead')?.shadowRoot?.querySelector('[part~="status"] span')?.textContent ??
            '',
        ),
      undefined,
      { timeout: 15_000 },
    );
    const text = (await status.textContent()) ?? '';
    assert.match(text, /^Can't reach the chat server\. Retrying in \d+ s\u2026$/);
    assert.doesNotMatch(text, /Connection lost/);
  });

  it('an answer with non-ASCII text streams in and shows exactly', async () => {
    await page.waitForFunction(
      () =>
        document.querySelector('#live')?.shadowRoot?.querySelector('[part~="status"]')?.textContent === '',
    );
    await page
      .locator('#live')
      .evaluate((el, text) => (el as unknown as { send(text: string): void }).send(`/echo ${text}`), ANSWER);
    await page.waitForFunction(() =>
      (
        document.querySelector('#live') as unknown as { messages: { role: string; status: string }[] }
      ).messages.some((m) => m.role === 'assistant' && m.status === 'done'),
    );
    const answer = await page
      .locator('#live')
      .evaluate(
        (el) =>
          (el as unknown as { messages: { role: string; text: string }[] }).messages.find(
            (m) => m.role === 'assistant',
          )?.text,
      );
    assert.equal(answer, ANSWER);
    const shown = await page.locator('#live [part~="assistant"]').first().textContent();
    assert.ok(shown?.includes(ANSWER), `the answer on screen: ${shown}`);
  });
});
