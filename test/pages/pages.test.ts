/**
 * The demo pages in a real browser engine (test/pages/engine-page.ts:
 * Chromium, Firefox or WebKit, as $BROWSER_ENGINE says; the test command runs
 * all three), served by the dev server on a free port: axe-core finds no
 * accessibility violation on the demo in light, dark and floating modes, the
 * demo's network switches and parameter panel work, both widgets fit a 320 px
 * wide screen, and the CMS page's hostile global CSS leaves the widget looking
 * exactly as it does without it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { randomSessionSecret } from '../../src/server/auth/session-token.js';
import { type EngineBrowser, type EnginePage, inWidget, launchEngine } from './engine-page.js';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs in the page (as source text: the test runner's transpiler would add
 * helpers the page does not have): counts pixels of two PNGs (base64) that
 * differ by more than 24 of 255 in any channel.
 */
const COMPARE_PNGS = `async (a, b) => {
  const load = async (b64) => {
    const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  };
  const [x, y] = await Promise.all([load(a), load(b)]);
  const sameSize = x.width === y.width && x.height === y.height;
  let differing = 0;
  for (let i = 0; sameSize && i < x.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(x.data[i + c] - y.data[i + c]) > 24) {
        differing++;
        break;
      }
    }
  }
  return { differing, total: x.width * x.height, sameSize };
}`;

/** Runs in the page (as source text, like COMPARE_PNGS): sizes and sideways overflow of a widget. */
const MEASURE_WIDGET = `(selector) => {
  const root = document.querySelector(selector).shadowRoot;
  const box = (css) => root.querySelector(css).getBoundingClientRect().toJSON();
  const overflow = (css) => root.querySelector(css).scrollWidth - root.querySelector(css).clientWidth;
  const send = root.querySelector('[part~="send-button"]') ? '[part~="send-button"]' : '[part~="stop-button"]';
  return {
    viewport: window.innerWidth,
    // The visible width: Firefox's classic scrollbar takes 12 px of innerWidth.
    visible: document.documentElement.clientWidth,
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    panelOverflow: overflow('[part~="panel"]'),
    logOverflow: overflow('[part~="log"]'),
    panel: box('[part~="panel"]'),
    input: box('textarea'),
    send: box(send),
  };
}`;

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: unknown[] }[];
}

async function axeViolations(page: EnginePage): Promise<string[]> {
  // Loaded by evaluating its source: the same in every driver, and the demo has no CSP.
  await page.evaluate(`(() => { ${axeSource}\n })()`);
  const violations = await page.evaluate<AxeViolation[]>('window.axe.run().then((r) => r.violations)');
  return violations.map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

/** Page expressions the tests wait on. */
const statusEmpty = (host: string) => `${inWidget(host, '[part~="status"]')}?.textContent === ''`;
const messagesOf = (host: string) => `document.querySelector(${JSON.stringify(host)}).messages`;
const answered = (host: string) =>
  `${messagesOf(host)}.some((m) => m.role === 'assistant' && m.status === 'done')`;
const eventLogSays = (text: string) =>
  `document.querySelector('#event-log').textContent.includes(${JSON.stringify(text)})`;

/** Waits until both demo widgets are connected (status lines empty) and rendered, and the network switches are on. */
async function demoReady(page: EnginePage): Promise<void> {
  await page.waitFor(
    `[...document.querySelectorAll('ai-stream-chat')].every((el) => el.shadowRoot?.querySelector('[part~="status"]')?.textContent === '')`,
    'both widgets connected',
  );
  await page.waitFor("!document.querySelector('#network').disabled", 'the network switches');
}

/** Types `text` into a widget's text box (clicked first, as a reader would) and presses Enter. */
async function ask(page: EnginePage, host: string, text: string): Promise<void> {
  await page.click(inWidget(host, 'textarea'));
  await page.type(text);
  await page.press('Enter');
}

type Message = { role: string; text: string; status: string; finishReason?: string };

const browser: EngineBrowser = await launchEngine();

describe(`demo pages in ${browser.name}`, () => {
  let server: DevServer;

  before(async () => {
    server = await startDevServer({
      port: 0,
      // As npm start serves the demo: answers think, search and cite (--mock-parts).
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY, parts: true }),
      demoControls: true,
      // The demo pages fetch their session from /session, as npm start serves them.
      auth: { secret: randomSessionSecret() },
    });
  });

  after(async () => {
    await browser.close();
    await server?.close();
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`axe finds no violations on the demo, ${theme} theme, with an answer on screen`, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}/`);
        await demoReady(page);
        await page.click(`document.querySelector('input[name="theme"][value="${theme}"]')`);
        await page.waitFor(
          `document.querySelector('#inline-chat').getAttribute('theme') === '${theme}'`,
          `the ${theme} theme`,
        );
        // Every kind of highlighted code token, so their colours meet contrast in both themes.
        // Set as the text box's value (with its input event): typed, the fences' newlines would send.
        await page.evaluate(`(() => {
          const input = ${inWidget('#inline-chat', 'textarea')};
          input.value = ${JSON.stringify(
            '/echo Some **bold** text and `code`.\n\n```ts\n// a comment\nconst s: string = "text"; let n = 42; if (n) {}\n```\n\n```html\n<p class="x">hi</p>\n```',
          )};
          input.dispatchEvent(new Event('input', { bubbles: true }));
          input.focus();
        })()`);
        await page.press('Enter');
        await page.waitFor(`${inWidget('#inline-chat', '[part~="copy-button"]')} !== null`, 'the answer');
        assert.deepEqual(await axeViolations(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it('axe finds no violations with the floating panel open', async () => {
    const page = await browser.newPage({ width: 390, height: 760 });
    try {
      await page.goto(`${server.url}/`);
      await demoReady(page);
      await page.click(inWidget('#floating-chat', '[part~="launcher"]'));
      await page.waitFor(`${inWidget('#floating-chat', 'textarea')}.checkVisibility()`, 'the open panel');
      assert.deepEqual(await axeViolations(page), []);
    } finally {
      await page.close();
    }
  });

  it('the demo: slow network, Drop connection mid-answer, the widgets reconnect and the answer resumes exactly', async () => {
    const page = await browser.newPage({ width: 1280, height: 900 });
    try {
      await page.goto(`${server.url}/`);
      await demoReady(page);
      await page.click("document.querySelector('#slow-network')");
      await page.waitFor(eventLogSays('every frame now waits 300 ms'), 'the slow network');
      const question = 'What happens when the network drops?';
      await ask(page, '#inline-chat', question);
      await page.waitFor(
        `(${messagesOf('#inline-chat')}.at(-1)?.text.length ?? 0) > 10`,
        'the answer to start',
      );
      await page.click("document.querySelector('#drop-connection')");
      await page.waitFor(eventLogSays('dropped 2 connections'), 'the drop');
      const inlineRows = `[...document.querySelectorAll('#event-log li')].filter((li) => li.querySelector('.who')?.textContent === 'inline')`;
      await page.waitFor(
        `${inlineRows}.some((li) => li.textContent.includes('reconnecting'))`,
        'reconnecting',
      );
      await page.click("document.querySelector('#slow-network')");
      await page.waitFor(eventLogSays('full speed again'), 'full speed');
      await page.waitFor(answered('#inline-chat'), 'the answer to finish');
      // Newest first: the inline widget's latest connection event says connected again.
      await page.waitFor(
        `${inlineRows}.filter((li) => /connect/.test(li.className))[0]?.className === 'kind-connected'`,
        'connected again',
      );
      const [, answer] = await page.evaluate<Message[]>(messagesOf('#inline-chat'));
      assert.equal(answer?.finishReason, 'stop', 'the drop did not cancel the answer');
      assert.equal(
        answer?.text,
        mockAnswerFor(question, 0, 1, 1),
        'resumed exactly: nothing lost or doubled',
      );
      // The log's coloured reconnect entries and the switches pass axe too.
      assert.deepEqual(await axeViolations(page), []);
    } finally {
      await page.close();
    }
  });

  it('the demo parameter panel travels with the next message', async () => {
    const page = await browser.newPage({ width: 1280, height: 900 });
    try {
      await page.goto(`${server.url}/`);
      await demoReady(page);
      // From the keyboard, as a reader would: the slider from 0.7 to 1.2, then max tokens 12.
      await page.click("document.querySelector('#temperature')");
      await page.evaluate("document.querySelector('#temperature').value = '0.7'");
      for (let i = 0; i < 5; i++) await page.press('ArrowRight');
      await page.waitFor(
        "document.querySelector('#temperature-value').textContent === '1.2'",
        'temperature 1.2',
      );
      await page.click(`document.querySelector('input[name="maxTokens"]')`);
      await page.evaluate(`document.querySelector('input[name="maxTokens"]').select()`);
      await page.type('12');
      await ask(page, '#inline-chat', 'Short, please');
      await page.waitFor(
        eventLogSays('message sent with temperature 1.2, maxTokens 12'),
        'the sent parameters',
      );
      await page.waitFor(eventLogSays('answer finished (length, 12 tokens + '), 'the cut-off answer');
      const [, answer] = await page.evaluate<Message[]>(messagesOf('#inline-chat'));
      assert.equal(answer?.finishReason, 'length', 'the server applied maxTokens');
      // The note renders with the answer's last frame, after the event that said it finished.
      const lastAnswer = `[...${inWidget('#inline-chat', '.log')}.querySelectorAll('[part~="message"][part~="assistant"]')].at(-1).textContent`;
      await page.waitFor(
        `/cut off at its length limit/.test(${lastAnswer})`,
        'the cut-off note under the answer',
      );
    } finally {
      await page.close();
    }
  });

  it('at 320 px wide both widgets fit: no horizontal scroll, and the composer works', async () => {
    const page = await browser.newPage({ width: 320, height: 640 });
    try {
      await page.goto(`${server.url}/`);
      await demoReady(page);
      const measure = (selector: string) =>
        page.evaluate<{
          viewport: number;
          visible: number;
          page: number;
          panelOverflow: number;
          logOverflow: number;
          panel: DOMRect;
          input: DOMRect;
          send: DOMRect;
        }>(`(${MEASURE_WIDGET})(${JSON.stringify(selector)})`);
      const check = async (selector: string) => {
        const m = await measure(selector);
        assert.equal(m.viewport, 320, 'the viewport is 320 px wide');
        assert.equal(m.page, 0, `${selector}: the page does not scroll sideways`);
        assert.equal(m.panelOverflow, 0, `${selector}: the panel does not scroll sideways`);
        assert.equal(m.logOverflow, 0, `${selector}: the messages do not scroll sideways`);
        assert.ok(m.panel.left >= 0 && m.panel.right <= m.visible, `${selector}: panel inside the viewport`);
        assert.ok(
          m.input.left >= m.panel.left && m.send.right <= m.panel.right,
          `${selector}: composer inside`,
        );
        assert.ok(m.input.right <= m.send.left, `${selector}: text box and Send do not overlap`);
        assert.ok(m.input.width >= 150, `${selector}: text box ${m.input.width}px wide`);
      };
      // The mock answer has a table and a code block, the widest things an answer holds.
      for (const selector of ['#inline-chat', '#floating-chat']) {
        if (selector === '#floating-chat') await page.click(inWidget(selector, '[part~="launcher"]'));
        await page.click(inWidget(selector, 'textarea'));
        await page.type('Show me a table and some code');
        await page.click(inWidget(selector, '[part~="send-button"]'));
        await page.waitFor(answered(selector), `${selector}: the answer`);
        await page.waitFor(`${inWidget(selector, '[part~="copy-button"]')} !== null`, `${selector}: Copy`);
        await check(selector);
      }
    } finally {
      await page.close();
    }
  });

  it('hostile global CSS on the CMS page leaves the widget pixel-identical', async () => {
    const page = await browser.newPage({ width: 800, height: 900 });
    try {
      await page.goto(`${server.url}/cms.html`);
      await page.waitFor(statusEmpty('ai-stream-chat'), 'the widget connected');
      const box = `(() => { const r = document.querySelector('ai-stream-chat').getBoundingClientRect(); return [r.width, r.height]; })()`;
      const hostile = await page.screenshot('ai-stream-chat');
      const hostileBox = await page.evaluate<number[]>(box);
      await page.evaluate("document.getElementById('hostile').disabled = true");
      const clean = await page.screenshot('ai-stream-chat');
      const cleanBox = await page.evaluate<number[]>(box);
      assert.deepEqual(hostileBox, cleanBox, 'same size with and without the hostile CSS');
      // Compare pixels in the page (no image library needed). Tolerance: a pixel
      // counts as different when any channel differs by more than 24 of 255, and
      // at most 0.1% of pixels may differ. The widget sits at a different page
      // position in the two layouts, and text anti-aliasing can shift by a
      // sub-pixel there; anything the hostile CSS really changed (font, borders,
      // colors, button styles) changes far more pixels than that.
      const result = await page.evaluate<{ differing: number; total: number; sameSize: boolean }>(
        `(${COMPARE_PNGS})(${JSON.stringify(hostile.toString('base64'))}, ${JSON.stringify(clean.toString('base64'))})`,
      );
      assert.equal(result.sameSize, true);
      assert.ok(
        result.differing <= result.total * 0.001,
        `${result.differing} of ${result.total} pixels differ with the hostile CSS`,
      );
    } finally {
      await page.close();
    }
  });
});
