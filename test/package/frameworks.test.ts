/**
 * README's React 19 and SvelteKit snippets as apps run them, against the packed tarball,
 * in Chromium:
 *
 * - Server rendering, as Next.js, Nuxt or SvelteKit do it: a page that
 *   imports `ai-stream-chat` at its top and uses README's LazyChat is
 *   bundled for Node by Vite (the package stays external, so Node resolves
 *   it with its `node` condition, as a framework's server does), rendered to
 *   HTML by react-dom/server in a Node process of its own, served, and
 *   hydrated in Chromium by the same page bundled for the browser. It must
 *   hydrate without errors, and its first message must go out with the
 *   snippet's `params` (the mock source then stops at `maxTokens`, so the
 *   server had them) and fire the snippet's `onai-chat-answer-done`.
 * - README's LazyChat in a client-rendered page, where the element is
 *   defined after React's first render, and README's Chat, imported first.
 *
 * - README's SvelteKit page, compiled by Svelte for the server and the
 *   browser (what SvelteKit's Vite plugin does), rendered by svelte/server in
 *   Node with its top-level import, and hydrated; SvelteKit's router and
 *   Vite plugin are not run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { compile } from 'svelte/compiler';
import { build } from 'vite';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/system-deps.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { type PackedConsumer, packedConsumer } from '../helpers/packed.js';
import { readmeSnippets } from '../helpers/readme.js';

const README_URL = '"wss://chat.example.com/ws"';

/** The `send` frames a page's sockets carry to the server, parsed. */
function sentFrames(page: Page): { type: string; params?: unknown; text?: string }[] {
  const frames: { type: string; params?: unknown; text?: string }[] = [];
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      if (typeof payload === 'string') frames.push(JSON.parse(payload));
    }),
  );
  return frames;
}

describe("README's React and SvelteKit snippets in Chromium, against the packed package", () => {
  let consumer: PackedConsumer;
  let chat: DevServer;
  let pages: Server;
  let pagesUrl: string;
  let browser: Browser;
  let serverHtml: string;
  let svelteHtml: string;

  before(async () => {
    chat = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
    });
    const wsUrl = JSON.stringify(`${chat.url.replace(/^http/, 'ws')}/ws`);
    consumer = packedConsumer();
    const dir = consumer.dir;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const [chatSnippet = '', lazySnippet = ''] = readmeSnippets('tsx');
    assert.ok(chatSnippet.includes(README_URL) && lazySnippet.includes(README_URL), 'both snippets');
    // The snippets as written, with the test's chat server for README's example URL.
    writeFileSync(join(dir, 'Chat.tsx'), chatSnippet.replace(README_URL, wsUrl));
    writeFileSync(join(dir, 'LazyChat.tsx'), lazySnippet.replace(README_URL, wsUrl));
    writeFileSync(
      join(dir, 'page.tsx'),
      [
        "import 'ai-stream-chat';",
        "import { LazyChat } from './LazyChat';",
        'export const Page = () => (',
        '  <main>',
        '    <h1>Server rendered</h1>',
        '    <LazyChat />',
        '  </main>',
        ');',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'render.tsx'),
      "import { renderToString } from 'react-dom/server';\nimport { Page } from './page';\nexport const render = () => renderToString(<Page />);\n",
    );
    writeFileSync(
      join(dir, 'hydrate.tsx'),
      [
        "import { hydrateRoot } from 'react-dom/client';",
        "import { Page } from './page';",
        'const errors: string[] = [];',
        'Object.assign(window, { hydrationErrors: errors });',
        "hydrateRoot(document.getElementById('root') as HTMLElement, <Page />, {",
        '  onRecoverableError: (error) => errors.push(String(error)),',
        '});',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'spa.tsx'),
      [
        "import { createRoot } from 'react-dom/client';",
        "import { Chat } from './Chat';",
        "createRoot(document.getElementById('root') as HTMLElement).render(<Chat />);",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'lazy.tsx'),
      [
        "import { flushSync } from 'react-dom';",
        "import { createRoot } from 'react-dom/client';",
        "import { LazyChat } from './LazyChat';",
        "const root = createRoot(document.getElementById('root') as HTMLElement);",
        'flushSync(() => root.render(<LazyChat />));',
        "Object.assign(window, { definedAtFirstRender: customElements.get('ai-stream-chat') !== undefined });",
        '',
      ].join('\n'),
    );
    // README's SvelteKit page, compiled by Svelte for the server and for the browser (what
    // SvelteKit's Vite plugin does), rendered by svelte/server in Node and hydrated.
    const svelteSnippet = (readmeSnippets('svelte')[0] ?? '').replace(README_URL, wsUrl);
    assert.ok(svelteSnippet.includes(wsUrl), 'the SvelteKit snippet');
    for (const generate of ['server', 'client'] as const) {
      const { js } = compile(svelteSnippet, { generate, filename: 'Page.svelte' });
      writeFileSync(join(dir, `Page.${generate}.js`), js.code);
    }
    writeFileSync(
      join(dir, 'svelte-hydrate.js'),
      "import { hydrate } from 'svelte';\nimport Page from './Page.client.js';\nhydrate(Page, { target: document.getElementById('root') });\n",
    );
    svelteHtml = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { render } from 'svelte/server'; import Page from './Page.server.js'; process.stdout.write(render(Page).body);",
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    const common = {
      root: dir,
      configFile: false as const,
      logLevel: 'silent' as const,
      oxc: { jsx: { runtime: 'automatic' as const } },
    };
    // The server bundle, with react and ai-stream-chat left to Node to resolve.
    await build({
      ...common,
      build: { ssr: join(dir, 'render.tsx'), outDir: join(dir, 'server'), emptyOutDir: true },
    });
    serverHtml = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { render } from './server/render.js'; process.stdout.write(render());",
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    await build({
      ...common,
      build: {
        outDir: join(dir, 'client'),
        emptyOutDir: true,
        rollupOptions: {
          input: {
            hydrate: join(dir, 'hydrate.tsx'),
            lazy: join(dir, 'lazy.tsx'),
            spa: join(dir, 'spa.tsx'),
            svelte: join(dir, 'svelte-hydrate.js'),
          },
          output: { entryFileNames: '[name].js' },
        },
      },
    });
    const html = (body: string, script: string) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><div id="root">${body}</div><script type="module" src="/${script}"></script></body></html>`;
    pages = createServer((request, response) => {
      const path = request.url ?? '/';
      const page = {
        '/ssr': html(serverHtml, 'hydrate.js'),
        '/lazy': html('', 'lazy.js'),
        '/spa': html('', 'spa.js'),
        '/svelte': html(svelteHtml, 'svelte.js'),
      }[path];
      if (page !== undefined) {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        return;
      }
      try {
        const file = readFileSync(join(dir, 'client', path.replace(/^\/+/, '').replace(/\.\./g, '')));
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(file);
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
    await chat?.close();
    consumer?.remove();
  });

  it('the page that imports the package at its top renders on the server (Node)', () => {
    assert.match(serverHtml, /<main><h1>Server rendered<\/h1><\/main>/);
  });

  /**
   * Opens one of the pages, sends "hello" from the element's text box, and
   * returns the `send` frames, what the page logged, and its errors and the
   * widget's warnings (there must be none).
   */
  async function chatOn(path: string, waitForLog: RegExp) {
    const page = await browser.newPage();
    const errors: string[] = [];
    const logs: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error' && !/favicon|404/.test(text)) errors.push(text);
      if (message.type() === 'warning' && text.startsWith('<ai-stream-chat>')) errors.push(text);
      if (message.type() === 'log') logs.push(text);
    });
    const frames = sentFrames(page);
    await page.goto(`${pagesUrl}${path}`);
    await page.locator('ai-stream-chat [part~="composer"]').waitFor();
    await page.locator('ai-stream-chat textarea').fill('hello');
    await page.locator('ai-stream-chat textarea').press('Enter');
    await waitUntil(() => logs.some((line) => waitForLog.test(line)), `a log line ${waitForLog}`);
    const state = await page.evaluate(() => ({
      hydrationErrors: (window as unknown as { hydrationErrors?: string[] }).hydrationErrors,
      definedAtFirstRender: (window as unknown as { definedAtFirstRender?: boolean }).definedAtFirstRender,
      elements: document.querySelectorAll('ai-stream-chat').length,
    }));
    await page.close();
    return { sends: frames.filter((f) => f.type === 'send'), logs, errors, ...state };
  }

  it('the server-rendered page hydrates; LazyChat sends its params and its handler fires', async () => {
    // maxTokens 256 cuts the mock's answer short: "length" proves the server had the params.
    const result = await chatOn('/ssr', /^length/);
    assert.deepEqual(result.hydrationErrors, []);
    assert.deepEqual(result.errors, []);
    assert.equal(result.elements, 1);
    assert.equal(result.sends.length, 1);
    assert.deepEqual(result.sends[0]?.params, { temperature: 0.2, maxTokens: 256 });
  });

  it('LazyChat in a client-rendered page: defined after the first render, its first message has its params', async () => {
    const result = await chatOn('/lazy', /^length/);
    assert.equal(result.definedAtFirstRender, false);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.sends[0]?.params, { temperature: 0.2, maxTokens: 256 });
  });

  it("README's SvelteKit page renders in Node with its top-level import, hydrates, and sends its params", async () => {
    assert.match(svelteHtml, /<ai-stream-chat url="ws:\/\/127\.0\.0\.1:\d+\/ws"/);
    const result = await chatOn('/svelte', /^stop/);
    assert.deepEqual(result.errors, []);
    assert.equal(result.elements, 1);
    assert.deepEqual(result.sends[0]?.params, { temperature: 0.2 });
  });

  it('Chat in a client-rendered page: params set as a property, the handler fires', async () => {
    const result = await chatOn('/spa', /^stop/);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.sends[0]?.params, { temperature: 0.2 });
  });
});

async function waitUntil(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
