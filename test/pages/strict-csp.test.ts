/**
 * demo/strict-csp.html in a real browser engine (test/pages/engine-page.ts:
 * Chromium, Firefox or WebKit, as $BROWSER_ENGINE says), served by the dev
 * server on a free port: under `default-src 'self'`, Trusted Types required
 * and no inline script, the widget connects, streams a markdown answer with a
 * highlighted code block, is styled, reports no policy violation at all, and
 * every request the page makes (the WebSocket included) goes to its own origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { randomSessionSecret } from '../../src/server/auth/session-token.js';
import { type EngineBrowser, type EnginePage, inWidget, launchEngine } from './engine-page.js';

const POLICY =
  "default-src 'self'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types lit-html dompurify";

/** Records every violation in window.__violations: before the page's scripts where the driver can. */
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

const widgetReady = `${inWidget('#strict-chat', '[part~="status"]')}?.textContent === ''`;

/**
 * Opens the page with violations recorded from the very start where the
 * driver runs scripts before the page's (else the page's own counter, which
 * its first script sets up, is the record), and waits for the widget.
 */
async function openStrictPage(browser: EngineBrowser, page: EnginePage, url: string): Promise<void> {
  if (browser.can.initScript) await page.addInitScript(RECORD_VIOLATIONS);
  await page.goto(url);
  if (!browser.can.initScript) await page.evaluate(`(() => {${RECORD_VIOLATIONS}})()`);
  await page.waitFor(widgetReady, 'the widget connected');
}

/** Asks the widget for the ANSWER (through /echo) and waits for it to finish. */
async function askForAnswer(page: EnginePage): Promise<void> {
  await page.click(inWidget('#strict-chat', 'textarea'));
  // As the text box's value with its input event: typed, the answer's newlines would send it early.
  await page.evaluate(`(() => {
    const input = ${inWidget('#strict-chat', 'textarea')};
    input.value = ${JSON.stringify(`/echo ${ANSWER}`)};
    input.dispatchEvent(new Event('input', { bubbles: true }));
  })()`);
  await page.press('Enter');
  await page.waitFor(
    `${inWidget('#strict-chat', '.message.assistant [part~="copy-button"]')} !== null`,
    'the finished answer',
  );
  // Its last block, the table: the markdown renders in animation frames, after the answer is done.
  await page.waitFor(
    `${inWidget('#strict-chat', '.message.assistant .markdown table td')} !== null`,
    'the rendered answer',
  );
}

const browser: EngineBrowser = await launchEngine();

describe(`demo/strict-csp.html in ${browser.name}`, () => {
  let server: DevServer;

  before(async () => {
    // The page fetches its session from /session, as npm start serves it.
    server = await startDevServer({
      port: 0,
      source: createMockSource({ tokensPerSecond: 400 }),
      auth: { secret: randomSessionSecret() },
    });
  });

  after(async () => {
    await browser.close();
    await server?.close();
  });

  it('streams a highlighted markdown answer, styled, with no policy violation', async () => {
    const page = await browser.newPage();
    try {
      await openStrictPage(browser, page, `${server.url}/strict-csp.html`);
      assert.equal(
        await page.evaluate(
          `document.querySelector('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')`,
        ),
        POLICY,
        'the page declares the strict policy',
      );
      await askForAnswer(page);

      const answer = await page.evaluate<Record<string, string | number | undefined>>(`(() => {
        const md = ${inWidget('#strict-chat', '.message.assistant .markdown')};
        const text = (selector) => md.querySelector(selector)?.textContent;
        return {
          h1: text('h1'),
          strong: text('strong'),
          cells: md.querySelectorAll('table td').length,
          lang: text('.md-code .md-code-lang'),
          keyword: text('.md-code code .tok-keyword'),
          comment: text('.md-code code .tok-comment'),
        };
      })()`);
      assert.deepEqual(answer, {
        h1: 'Strict CSP',
        strong: 'bold',
        cells: 2,
        lang: 'js',
        keyword: 'const',
        comment: '// the answer',
      });

      // Styles apply (constructed style sheets are not inline styles): the panel, the user's
      // bubble and the highlighting have the widget's look, not the browser's defaults.
      const looks = await page.evaluate<Record<string, string>>(`(() => {
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
      const { keywordColor, codeColor, ...rest } = looks;
      assert.deepEqual(rest, {
        panelDisplay: 'flex',
        panelRadius: '12px',
        panelBorder: 'solid',
        userBackground: 'rgb(9, 105, 218)',
        codeBlockBackground: 'rgb(246, 248, 250)',
      });
      assert.notEqual(keywordColor, codeColor, 'keywords have their own colour');

      assert.deepEqual(await page.evaluate('window.__violations'), [], 'no CSP violation event');
      assert.equal(
        await page.evaluate("document.querySelector('#violations').textContent"),
        '0',
        "the page's own counter",
      );
    } finally {
      await page.close();
    }
  });

  const recording = browser.can.record
    ? {}
    : { skip: 'WebDriver classic reports no network or console events' };
  it(
    'every request, the WebSocket included, goes to the page origin; no CSP message or error',
    recording,
    async () => {
      const page = await browser.newPage();
      try {
        const recorded = await page.record();
        await openStrictPage(browser, page, `${server.url}/strict-csp.html`);
        await askForAnswer(page);
        assert.deepEqual(
          recorded.console.filter((text) =>
            /Content Security Policy|Trusted Type|Refused to|CSP/i.test(text),
          ),
          [],
          'no CSP message on the console',
        );
        assert.deepEqual(recorded.errors, [], 'no uncaught error');
        const origin = new URL(server.url).origin;
        const wsOrigin = origin.replace(/^http/, 'ws');
        assert.ok(
          recorded.requests.length >= 4,
          `page, style sheet and scripts requested: ${recorded.requests}`,
        );
        assert.deepEqual(
          recorded.requests.filter((url) => new URL(url).origin !== origin),
          [],
          'every request goes to the page origin',
        );
        const sockets = await recorded.sockets();
        assert.equal(sockets.length, 1, `one WebSocket: ${sockets}`);
        assert.equal(new URL(sockets[0] as string).origin, wsOrigin, 'the WebSocket is same-origin');
      } finally {
        await page.close();
      }
    },
  );

  it('the policy is really enforced: string HTML sinks and inline script are refused', async () => {
    const page = await browser.newPage();
    try {
      await openStrictPage(browser, page, `${server.url}/strict-csp.html`);
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
      const violations = await page.evaluate<string[]>('window.__violations');
      assert.ok(
        violations.some((v) => v.startsWith('require-trusted-types-for')),
        `a Trusted Types violation is reported: ${violations}`,
      );
    } finally {
      await page.close();
    }
  });
});
