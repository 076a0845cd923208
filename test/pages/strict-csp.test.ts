/**
 * demo/strict-csp.html in real Chromium (playwright-core), served by the dev
 * server on a free port: under `default-src 'self'`, Trusted Types required
 * and no inline script, the widget connects, streams a markdown answer with a
 * highlighted code block, is styled, reports no policy violation at all, and
 * every request the page makes (the WebSocket included) goes to its own origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { findChromium } from '../../scripts/system-deps.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { randomSessionSecret } from '../../src/server/auth/session-token.js';

const POLICY =
  "default-src 'self'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types lit-html dompurify";

/** Runs in the page before any of its scripts: records every violation, from the very start. */
const RECORD_VIOLATIONS = `
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sample + ')');
  }, true);
`;

const ANSWER = [
  '# Strict CSP',
  '',
  'Some **bold** text, `inline code` and a [link](https://example.com/).',
  '',
  '```js',
  'const answer = 42; // the answer',
  "function greet(name) { return 'hello ' + name; }",
  '```',
  '',
  '| a | b |',
  '| - | - |',
  '| 1 | 2 |',
].join('\n');

interface Recorded {
  requests: string[];
  sockets: string[];
  console: string[];
  errors: string[];
}

function record(page: Page): Recorded {
  const recorded: Recorded = { requests: [], sockets: [], console: [], errors: [] };
  page.on('request', (request) => recorded.requests.push(request.url()));
  page.on('websocket', (socket) => recorded.sockets.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') recorded.console.push(message.text());
  });
  page.on('pageerror', (error) => recorded.errors.push(String(error)));
  return recorded;
}

const shadowQuery = (selector: string) =>
  `document.querySelector('#strict-chat').shadowRoot.querySelector('${selector}')`;

/**
 * Polls `expression` until it is truthy. Through page.evaluate (the DevTools
 * protocol), not waitForFunction, whose string predicates run through eval
 * in the page, which this page's CSP rightly refuses.
 */
async function waitInPage(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('demo/strict-csp.html in Chromium', () => {
  let server: DevServer;
  let browser: Browser;

  before(async () => {
    // The page fetches its session from /session, as npm start serves it.
    server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: 400 }),
      auth: { secret: randomSessionSecret() },
    });
    browser = await chromium.launch({
      executablePath: findChromium(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('streams a highlighted markdown answer, styled, with no violation and no third-party request', async () => {
    const page = await browser.newPage();
    const recorded = record(page);
    await page.addInitScript(RECORD_VIOLATIONS);
    await page.goto(`${server.url}/strict-csp.html`);
    assert.equal(
      await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'),
      POLICY,
      'the page declares the strict policy',
    );
    await waitInPage(page, `${shadowQuery('[part~="status"]')}?.textContent === ''`);

    const input = page.locator('#strict-chat textarea');
    await input.fill(`/echo ${ANSWER}`);
    await input.press('Enter');
    await page.locator('#strict-chat .message.assistant [part~="copy-button"]').waitFor();

    const answer = page.locator('#strict-chat .message.assistant .markdown');
    assert.equal(await answer.locator('h1').textContent(), 'Strict CSP');
    assert.equal(await answer.locator('strong').textContent(), 'bold');
    assert.equal(await answer.locator('table td').count(), 2);
    assert.equal(await answer.locator('.md-code .md-code-lang').textContent(), 'js');
    assert.equal(await answer.locator('.md-code code .tok-keyword').first().textContent(), 'const');
    assert.equal(await answer.locator('.md-code code .tok-comment').textContent(), '// the answer');

    // Styles apply (constructed style sheets are not inline styles): the panel, the user's
    // bubble and the highlighting have the widget's look, not the browser's defaults.
    const looks = await page.evaluate(`(() => {
      const root = document.querySelector('#strict-chat').shadowRoot;
      const style = (selector) => getComputedStyle(root.querySelector(selector));
      const code = root.querySelector('.md-code code');
      return {
        panelDisplay: style('[part~="panel"]').display,
        panelRadius: style('[part~="panel"]').borderTopLeftRadius,
        panelBorder: style('[part~="panel"]').borderTopStyle,
        userBackground: style('.message.user').backgroundColor,
        keywordColor: getComputedStyle(code.querySelector('.tok-keyword')).color,
        codeColor: getComputedStyle(code).color,
        codeBlockBackground: style('.md-code').backgroundColor,
      };
    })()`);
    assert.deepEqual(
      { ...(looks as Record<string, string>), keywordColor: undefined, codeColor: undefined },
      {
        panelDisplay: 'flex',
        panelRadius: '12px',
        panelBorder: 'solid',
        userBackground: 'rgb(9, 105, 218)',
        keywordColor: undefined,
        codeColor: undefined,
        codeBlockBackground: 'rgb(246, 248, 250)',
      },
    );
    const { keywordColor, codeColor } = looks as { keywordColor: string; codeColor: string };
    assert.notEqual(keywordColor, codeColor, 'keywords have their own colour');

    assert.deepEqual(await page.evaluate('window.__violations'), [], 'no CSP violation event');
    assert.deepEqual(
      recorded.console.filter((text) => /Content Security Policy|Trusted Type|Refused to/i.test(text)),
      [],
      'no CSP message on the console',
    );
    assert.deepEqual(recorded.errors, [], 'no uncaught error');
    assert.deepEqual(await page.locator('#violations').textContent(), '0', "the page's own counter");

    const origin = new URL(server.url).origin;
    const wsOrigin = origin.replace(/^http/, 'ws');
    assert.ok(recorded.requests.length >= 4, `page, style sheet and scripts requested: ${recorded.requests}`);
    assert.deepEqual(
      recorded.requests.filter((url) => new URL(url).origin !== origin),
      [],
      'every request goes to the page origin',
    );
    assert.equal(recorded.sockets.length, 1);
    assert.equal(new URL(recorded.sockets[0] as string).origin, wsOrigin, 'the WebSocket is same-origin');
    await page.close();
  });

  it('the policy is really enforced: string HTML sinks and inline script are refused', async () => {
    const page = await browser.newPage();
    await page.addInitScript(RECORD_VIOLATIONS);
    await page.goto(`${server.url}/strict-csp.html`);
    await waitInPage(page, `${shadowQuery('[part~="status"]')}?.textContent === ''`);
    const outcome = await page.evaluate(`(() => {
      let html = 'allowed';
      try { document.createElement('div').innerHTML = '<b>x</b>'; } catch (e) { html = e.name; }
      window.__inlineRan = false;
      const script = document.createElement('script');
      let inline = 'allowed';
      try { script.textContent = 'window.__inlineRan = true'; document.head.append(script); } catch (e) { inline = e.name; }
      return { html, inline, inlineRan: window.__inlineRan };
    })()`);
    assert.deepEqual(outcome, { html: 'TypeError', inline: 'TypeError', inlineRan: false });
    const violations = (await page.evaluate('window.__violations')) as string[];
    assert.ok(
      violations.some((v) => v.startsWith('require-trusted-types-for')),
      `a Trusted Types violation is reported: ${violations}`,
    );
    await page.close();
  });
});
