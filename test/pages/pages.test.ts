/**
 * The demo pages in real Chromium (playwright-core, the same Chromium and
 * flags as web-test-runner), served by the dev server on a free port:
 * axe-core finds no accessibility violation on the demo in light, dark and
 * floating modes, and the CMS page's hostile global CSS leaves the widget
 * looking exactly as it does without it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/system-deps.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { randomSessionSecret } from '../../src/server/auth/session-token.js';

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
    page: document.documentElement.scrollWidth - window.innerWidth,
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

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}

/** Waits until both demo widgets are connected (status lines empty) and rendered, and the network switches are on. */
async function demoReady(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('ai-stream-chat')].every(
      (el) => el.shadowRoot?.querySelector('[part~="status"]')?.textContent === '',
    ),
  );
  await page.locator('#network:not([disabled])').waitFor();
}

type Message = { role: string; text: string; status: string; finishReason?: string };
const messagesOf = (page: Page, selector: string): Promise<Message[]> =>
  page.locator(selector).evaluate((el) => (el as unknown as { messages: Message[] }).messages);

describe('demo pages in Chromium', () => {
  let server: DevServer;
  let browser: Browser;

  before(async () => {
    server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
      demoControls: true,
      // The demo pages fetch their session from /session, as npm start serves them.
      auth: { secret: randomSessionSecret() },
    });
    browser = await chromium.launch({
      executablePath: findChromium(),
      args: CHROMIUM_ARGS,
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`axe finds no violations on the demo, ${theme} theme, with an answer on screen`, async () => {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await demoReady(page);
      await page.getByLabel(theme === 'light' ? 'Light' : 'Dark').check();
      // Every kind of highlighted code token, so their colours meet contrast in both themes.
      await page
        .locator('#inline-chat textarea')
        .fill(
          '/echo Some **bold** text and `code`.\n\n```ts\n// a comment\nconst s: string = "text"; let n = 42; if (n) {}\n```\n\n```html\n<p class="x">hi</p>\n```',
        );
      await page.locator('#inline-chat textarea').press('Enter');
      await page.locator('#inline-chat [part~="copy-button"]').waitFor();
      assert.deepEqual(await axeViolations(page), []);
      await page.close();
    });
  }

  it('axe finds no violations with the floating panel open', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 760 } });
    await page.goto(`${server.url}/`);
    await demoReady(page);
    await page.locator('#floating-chat [part~="launcher"]').click();
    await page.locator('#floating-chat textarea').waitFor({ state: 'visible' });
    assert.deepEqual(await axeViolations(page), []);
    await page.close();
  });

  it('the demo: slow network, Drop connection mid-answer, the widgets reconnect and the answer resumes exactly', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/`);
    await demoReady(page);
    const log = page.locator('#event-log');
    await page.getByLabel(/Slow network/).check();
    await log.getByText('every frame now waits 300 ms').waitFor();
    const question = 'What happens when the network drops?';
    await page.locator('#inline-chat textarea').fill(question);
    await page.locator('#inline-chat textarea').press('Enter');
    await page.waitForFunction(
      () =>
        ((document.querySelector('#inline-chat') as unknown as { messages: Message[] }).messages.at(-1)?.text
          .length ?? 0) > 10,
    );
    await page.getByRole('button', { name: 'Drop connection' }).click();
    await log.getByText('dropped 2 connections').waitFor();
    const inlineRow = log.locator('li', { has: page.locator('.who', { hasText: 'inline' }) });
    await inlineRow.filter({ hasText: 'reconnecting' }).first().waitFor();
    await page.getByLabel(/Slow network/).uncheck();
    await log.getByText('full speed again').waitFor();
    await page.waitForFunction(() =>
      (document.querySelector('#inline-chat') as unknown as { messages: Message[] }).messages.some(
        (m) => m.role === 'assistant' && m.status === 'done',
      ),
    );
    // Newest first: the inline widget's latest connection event says connected again.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#event-log li')].filter(
        (li) => li.querySelector('.who')?.textContent === 'inline' && /connect/.test(li.className),
      );
      return rows[0]?.className === 'kind-connected';
    });
    const [, answer] = await messagesOf(page, '#inline-chat');
    assert.equal(answer?.finishReason, 'stop', 'the drop did not cancel the answer');
    assert.equal(answer?.text, mockAnswerFor(question, 0, 1, 1), 'resumed exactly: nothing lost or doubled');
    // The log's coloured reconnect entries and the switches pass axe too.
    assert.deepEqual(await axeViolations(page), []);
    await page.close();
  });

  it('the demo parameter panel travels with the next message', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/`);
    await demoReady(page);
    await page.locator('#temperature').fill('1.2');
    await page.getByLabel('Max tokens').fill('12');
    await page.locator('#inline-chat textarea').fill('Short, please');
    await page.locator('#inline-chat textarea').press('Enter');
    await page.locator('#event-log').getByText('message sent with temperature 1.2, maxTokens 12').waitFor();
    await page.locator('#event-log').getByText('answer finished (length, 12 tokens)').waitFor();
    const [, answer] = await messagesOf(page, '#inline-chat');
    assert.equal(answer?.finishReason, 'length', 'the server applied maxTokens');
    assert.match(
      (await page.locator('#inline-chat [part~="message"][part~="assistant"]').last().textContent()) ?? '',
      /cut off at its length limit/,
    );
    await page.close();
  });

  it('at 320 px wide both widgets fit: no horizontal scroll, and the composer works', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await page.goto(`${server.url}/`);
    await demoReady(page);
    const measure = (selector: string) =>
      page.evaluate(`(${MEASURE_WIDGET})(${JSON.stringify(selector)})`) as Promise<{
        viewport: number;
        page: number;
        panelOverflow: number;
        logOverflow: number;
        panel: DOMRect;
        input: DOMRect;
        send: DOMRect;
      }>;
    const check = async (selector: string) => {
      const m = await measure(selector);
      assert.equal(m.page, 0, `${selector}: the page does not scroll sideways`);
      assert.equal(m.panelOverflow, 0, `${selector}: the panel does not scroll sideways`);
      assert.equal(m.logOverflow, 0, `${selector}: the messages do not scroll sideways`);
      assert.ok(m.panel.left >= 0 && m.panel.right <= m.viewport, `${selector}: panel inside the viewport`);
      assert.ok(
        m.input.left >= m.panel.left && m.send.right <= m.panel.right,
        `${selector}: composer inside`,
      );
      assert.ok(m.input.right <= m.send.left, `${selector}: text box and Send do not overlap`);
      assert.ok(m.input.width >= 150, `${selector}: text box ${m.input.width}px wide`);
    };
    // The mock answer has a table and a code block, the widest things an answer holds.
    for (const selector of ['#inline-chat', '#floating-chat']) {
      if (selector === '#floating-chat') await page.locator('#floating-chat [part~="launcher"]').click();
      const input = page.locator(`${selector} textarea`);
      await input.click();
      await page.keyboard.type('Show me a table and some code');
      await page.locator(`${selector} [part~="send-button"]`).click();
      await page.waitForFunction(
        (s) =>
          (document.querySelector(s) as unknown as { messages: Message[] }).messages.some(
            (m) => m.role === 'assistant' && m.status === 'done',
          ),
        selector,
      );
      await page.locator(`${selector} [part~="copy-button"]`).last().waitFor();
      await check(selector);
    }
    await page.close();
  });

  it('hostile global CSS on the CMS page leaves the widget pixel-identical', async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    await page.goto(`${server.url}/cms.html`);
    await page.waitForFunction(
      () =>
        document.querySelector('ai-stream-chat')?.shadowRoot?.querySelector('[part~="status"]')
          ?.textContent === '',
    );
    const widget = page.locator('ai-stream-chat');
    const hostile = await widget.screenshot({ animations: 'disabled', caret: 'hide' });
    const hostileBox = await widget.boundingBox();
    await page.evaluate(() => {
      (document.getElementById('hostile') as HTMLStyleElement).disabled = true;
    });
    const clean = await widget.screenshot({ animations: 'disabled', caret: 'hide' });
    const cleanBox = await widget.boundingBox();
    assert.deepEqual(
      [hostileBox?.width, hostileBox?.height],
      [cleanBox?.width, cleanBox?.height],
      'same size with and without the hostile CSS',
    );
    // Compare pixels in the page (no image library needed). Tolerance: a pixel
    // counts as different when any channel differs by more than 24 of 255, and
    // at most 0.1% of pixels may differ. The widget sits at a different page
    // position in the two layouts, and text anti-aliasing can shift by a
    // sub-pixel there; anything the hostile CSS really changed (font, borders,
    // colors, button styles) changes far more pixels than that.
    const result = (await page.evaluate(
      `(${COMPARE_PNGS})(${JSON.stringify(hostile.toString('base64'))}, ${JSON.stringify(clean.toString('base64'))})`,
    )) as { differing: number; total: number; sameSize: boolean };
    assert.equal(result.sameSize, true);
    assert.ok(
      result.differing <= result.total * 0.001,
      `${result.differing} of ${result.total} pixels differ with the hostile CSS`,
    );
    await page.close();
  });
});
