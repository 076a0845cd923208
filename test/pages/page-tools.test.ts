/**
 * Page tools that wrap `WebSocket` (monitoring and session-replay agents)
 * keep seeing every frame of the widget's socket, in a real browser engine
 * (test/pages/engine-page.ts). The page installs, before the widget's classic
 * script, a `WebSocket` that counts frames: a subclass listening from its
 * constructor, plus a listener added once the socket is open; or a Proxy
 * around the constructor that listens on each instance it makes. The server
 * counts the frames it sends; the counts must match, and the widget's answer
 * must still be right.
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

/** Each tool counts into window.toolCounts; installed before the widget's script. */
const TOOLS: Record<string, string> = {
  subclass: `
    window.toolCounts = { constructor: 0, afterOpen: 0 };
    const Native = window.WebSocket;
    window.WebSocket = class CountingWebSocket extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', () => { window.toolCounts.constructor++; });
        this.addEventListener('open', () => {
          this.addEventListener('message', () => { window.toolCounts.afterOpen++; });
        });
      }
    };`,
  proxy: `
    window.toolCounts = { proxy: 0 };
    window.WebSocket = new Proxy(window.WebSocket, {
      construct(target, args, newTarget) {
        const socket = Reflect.construct(target, args, newTarget);
        socket.addEventListener('message', () => { window.toolCounts.proxy++; });
        return socket;
      },
    });`,
};

interface PageState {
  counts: Record<string, number>;
  answer: string | null;
}

/** Page expressions. */
const WIDGET = 'document.querySelector("ai-stream-chat")';
const STATE = `({
  counts: window.toolCounts,
  answer: ${WIDGET}.messages.find((m) => m.role === 'assistant' && m.status === 'done')?.text ?? null,
})`;

const browser: EngineBrowser = await launchEngine();

describe(`page tools that wrap WebSocket see every frame of the widget, in ${browser.name}`, () => {
  let chat: DevServer;
  let site: Server;
  let siteUrl: string;
  /** Frames the server sent, over all sockets. */
  let framesSent = 0;

  before(async () => {
    chat = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: 2000 }),
      onSocket(socket) {
        const send = socket.send.bind(socket);
        socket.send = ((...args: Parameters<typeof send>) => {
          framesSent++;
          return send(...args);
        }) as typeof socket.send;
      },
    });
    const wsUrl = `${chat.url.replace(/^http/, 'ws')}/ws`;
    const bundle = readFileSync(`${root}dist/ai-stream-chat.iife.js`);
    site = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      const tool = TOOLS[url.searchParams.get('tool') ?? ''];
      if (url.pathname === '/' && tool) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><title>page tools</title>
<script>${tool}</script>
<script src="/ai-stream-chat.iife.js"></script></head>
<body><ai-stream-chat url="${wsUrl}" persist="none"></ai-stream-chat></body></html>`);
      } else if (url.pathname === '/ai-stream-chat.iife.js') {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });

  after(async () => {
    await browser.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await chat?.close();
  });

  for (const tool of Object.keys(TOOLS)) {
    it(`${tool}: every listener counts exactly the frames the server sent, and the answer arrives`, async () => {
      const page: EnginePage = await browser.newPage();
      let state: PageState;
      try {
        framesSent = 0;
        await page.goto(`${siteUrl}/?tool=${tool}`);
        await page.waitFor(
          `${inWidget('ai-stream-chat', '[part~="status"]')}?.textContent === ''`,
          'the widget connected',
        );
        await page.evaluate(`${WIDGET}.send('/echo counted, frame by frame')`);
        await page.waitFor(
          `${WIDGET}.messages.some((m) => m.role === 'assistant' && m.status === 'done')`,
          'the answer',
        );
        // A frame the server has sent may still be on its way (a pong): give the counts up to
        // 2 s to catch up; a listener that misses frames never does.
        state = await page.evaluate<PageState>(STATE);
        for (
          let waited = 0;
          waited < 2_000 && Object.values(state.counts).some((n) => n !== framesSent);
          waited += 100
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          state = await page.evaluate<PageState>(STATE);
        }
      } finally {
        await page.close();
      }
      assert.equal(state.answer, 'counted, frame by frame');
      // welcome, start, deltas, done at least.
      assert.ok(framesSent >= 4, `the server sent ${framesSent} frames`);
      for (const [listener, count] of Object.entries(state.counts)) {
        assert.equal(count, framesSent, `${tool} tool's ${listener} listener`);
      }
    });
  }
});
