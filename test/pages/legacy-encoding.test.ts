/**
 * The widget on a legacy page, in a real browser engine
 * (test/pages/engine-page.ts): a windows-1252 page that declares no charset
 * (as many older CMS themes are), loading the classic script served with no
 * charset parameter, so the browser decodes the script in windows-1252 too.
 * A control script with raw UTF-8 proves the page really decodes that way;
 * the widget's own text, the status line for a server it never reached, and
 * an answer streamed with non-ASCII text must all read right.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { type EngineBrowser, type EnginePage, inWidget, launchEngine } from './engine-page.js';

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

/** Page expressions. */
const live = 'document.querySelector("#live")';
const dead = 'document.querySelector("#dead")';
const deadStatus = `${inWidget('#dead', '[part~="status"] span')}?.textContent ?? ''`;

const browser: EngineBrowser = await launchEngine();

describe(`a windows-1252 page without a charset, loading the classic script without a charset, in ${browser.name}`, () => {
  let chat: DevServer;
  let site: Server;
  let page: EnginePage;

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
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
  });

  after(async () => {
    await page?.close();
    await browser.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await chat?.close();
  });

  it('the page and its scripts are decoded as windows-1252 (the control reads raw UTF-8 as mojibake)', async () => {
    assert.equal(await page.evaluate('document.characterSet'), 'windows-1252');
    assert.equal(
      await page.evaluate('document.querySelector("#native").textContent'),
      'Caf\u00e9 cr\u00e8me',
    );
    assert.equal(await page.evaluate('window.rawUtf8Ellipsis'), '\u00e2\u20ac\u00a6');
  });

  it("the widget's own text reads right: placeholder, close button, pending message", async () => {
    await page.waitFor(`${inWidget('#live', 'textarea')} !== null`, 'the text box');
    assert.equal(
      await page.evaluate(`${inWidget('#live', 'textarea')}.getAttribute('placeholder')`),
      'Ask anything\u2026',
    );
    assert.equal(
      await page.evaluate(`${inWidget('#dead', '[part~="close-button"]')}.textContent.trim()`),
      '\u00d7',
    );
    await page.evaluate(`${dead}.send('hi')`);
    // The floating panel is closed: the note is in the DOM, not visible.
    await page.waitFor(
      `${dead}.shadowRoot.textContent.includes('Waiting to send\u2026')`,
      'the pending note, in the shadow DOM',
    );
  });

  it("a server never reached: the status says it can't be reached, not that a connection was lost", async () => {
    await page.waitFor(`/Retrying in \\d+ s/.test(${deadStatus})`, 'the retry countdown');
    const text = await page.evaluate<string>(deadStatus);
    assert.match(text, /^Can't reach the chat server\. Retrying in \d+ s\u2026$/);
    assert.doesNotMatch(text, /Connection lost/);
  });

  it('an answer with non-ASCII text streams in and shows exactly', async () => {
    await page.waitFor(`${inWidget('#live', '[part~="status"]')}?.textContent === ''`, 'connected');
    await page.evaluate(`${live}.send(${JSON.stringify(`/echo ${ANSWER}`)})`);
    await page.waitFor(
      `${live}.messages.some((m) => m.role === 'assistant' && m.status === 'done')`,
      'the answer',
    );
    const answer = await page.evaluate<string>(`${live}.messages.find((m) => m.role === 'assistant')?.text`);
    assert.equal(answer, ANSWER);
    // The widget renders in the next animation frame after the answer ends: wait for it.
    const shownText = `${inWidget('#live', '[part~="assistant"]')}?.textContent ?? ''`;
    await page
      .waitFor(`(${shownText}).includes(${JSON.stringify(ANSWER)})`, 'the answer on screen')
      .catch(() => {});
    const shown = await page.evaluate<string>(shownText);
    assert.ok(shown.includes(ANSWER), `the answer on screen: ${shown}`);
  });
});
