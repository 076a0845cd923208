/**
 * Safe at every intermediate state: hostile answers are streamed in chunks
 * and, after every chunk (not only at the end), nothing may have executed, no
 * request may have left the page, and no forbidden element, attribute or URL
 * may exist in the rendered DOM. The test page also carries a CSP that allows
 * no network at all, and reports violations: a blocked attempt still fails.
 */
import { expect } from 'chai';
import { MarkdownStream } from '../../src/widget/markdown/markdown-stream.js';
import { chunkEnds, frame, settle } from './helpers.js';
import { hostileAnswers } from './hostile-corpus.js';

const w = window as unknown as Record<string, unknown>;
const ALLOWED_TAGS = new Set(
  'A B BLOCKQUOTE BR CODE DEL DETAILS EM H1 H2 H3 H4 H5 H6 HR I IMG INPUT KBD LI OL P PRE S SPAN STRONG SUB SUMMARY SUP TABLE TBODY TD TH THEAD TR UL DIV BUTTON'.split(
    ' ',
  ),
);
const ALLOWED_ATTRS = new Set(
  'href src alt title align start type checked disabled class target rel loading decoding referrerpolicy aria-label'.split(
    ' ',
  ),
);

// A CSP for this test page: no request may go anywhere but the test server, and violations are reported.
const csp = document.createElement('meta');
csp.httpEquiv = 'Content-Security-Policy';
csp.content =
  "img-src 'self'; media-src 'none'; frame-src 'none'; object-src 'none'; font-src 'none'; form-action 'none'; base-uri 'self'";
document.head.prepend(csp);

const requests: string[] = [];
const violations: string[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.name.includes('attacker.example')) requests.push(entry.name);
}).observe({ type: 'resource', buffered: true });
document.addEventListener('securitypolicyviolation', (e) =>
  violations.push(`${e.violatedDirective} ${e.blockedURI}`),
);

/** Every way the rendered DOM could be unsafe, as a list of findings (empty: safe). */
function findings(root: HTMLElement, imageOrigins: string[]): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll('*')) {
    if (!ALLOWED_TAGS.has(el.tagName)) found.push(`element <${el.tagName.toLowerCase()}>`);
    if ((el.tagName === 'DIV' || el.tagName === 'BUTTON') && !/^md-/.test(el.className)) {
      found.push(`${el.tagName} not made by the renderer`);
    }
    for (const attr of el.attributes) {
      if (!ALLOWED_ATTRS.has(attr.name))
        found.push(`attribute ${attr.name} on <${el.tagName.toLowerCase()}>`);
    }
    const href = el.getAttribute('href');
    if (href !== null && !/^(?:https?:|mailto:|#|[^:]*$|[^:]*[/?#])/i.test(href)) found.push(`href ${href}`);
    if (
      href !== null &&
      !href.startsWith('#') &&
      el.getAttribute('rel') !== 'noopener noreferrer nofollow ugc'
    ) {
      found.push(`link without rel: ${href}`);
    }
    const src = el.getAttribute('src');
    if (src !== null) {
      const origin = new URL(src, location.href).origin;
      if (el.tagName !== 'IMG' || !imageOrigins.includes(origin)) found.push(`src ${src}`);
    }
    if (el.tagName === 'INPUT' && (el.getAttribute('type') !== 'checkbox' || !el.hasAttribute('disabled'))) {
      found.push('editable input');
    }
  }
  return found;
}

async function streamHostile(text: string, seed: number, imageOrigins: string[] = []): Promise<void> {
  const container = document.createElement('div');
  document.body.append(container);
  const stream = new MarkdownStream(container, { imageOrigins });
  const maxChunk = text.length > 10_000 ? 20_000 : 12;
  try {
    for (const end of chunkEnds(text, seed, maxChunk)) {
      stream.update(text.slice(0, end), false);
      await frame();
      const bad = findings(container, imageOrigins);
      expect(bad, `after ${end} of ${text.length} characters`).to.deep.equal([]);
    }
    stream.update(text, true);
    await settle(stream);
    expect(findings(container, imageOrigins)).to.deep.equal([]);
    // Let any late error/load handlers fire.
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    stream.dispose();
    container.remove();
  }
}

describe('hostile answers, checked after every chunk', () => {
  beforeEach(() => {
    w.__pwned = undefined;
    w.__pwn = () => {
      w.__pwned = 'called';
    };
    requests.length = 0;
    violations.length = 0;
  });

  it('the corpus has at least 30 answers', () => {
    expect(hostileAnswers.length).to.be.at.least(30);
  });

  for (const [i, { name, text }] of hostileAnswers.entries()) {
    it(name, async () => {
      await streamHostile(text, i + 1);
      expect(w.__pwned, 'a payload executed').to.equal(undefined);
      expect(requests, 'requests to attacker.example').to.deep.equal([]);
      expect(violations, 'CSP violations (blocked attempts)').to.deep.equal([]);
      expect(document.getElementById('__pwnConfig')).to.equal(null);
    });
  }

  it('an allowed image origin loads only complete URLs, never a truncated prefix of a streaming definition', async () => {
    const loads: string[] = [];
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n instanceof HTMLElement) {
            for (const img of [n, ...n.querySelectorAll('img')]) {
              if (img instanceof HTMLImageElement) loads.push(img.getAttribute('src') ?? '');
            }
          }
        }
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
    const url = `${location.origin}/__nothing__/cat.png`;
    await streamHostile(`![cat][c]\n\n[c]: ${url}\n\nThen ![again][c] and ![inline](${url}).\n\nEnd.`, 5, [
      location.origin,
    ]);
    observer.disconnect();
    expect(loads.length, 'images did render once their block was finished').to.be.greaterThan(0);
    for (const src of loads) expect(src).to.equal(url);
  });
});
