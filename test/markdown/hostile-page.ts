/**
 * What the hostile-answer tests check, in any page that renders model
 * output (the markdown renderer alone, or the widget's answer parts): a CSP
 * that lets no request leave the page and reports every attempt, the
 * requests that went to attacker.example anyway, payloads that ran (they set
 * `window.__pwned`), and every unsafe thing in the rendered DOM.
 */
import { expect } from 'chai';

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

const requests: string[] = [];
const violations: string[] = [];

/**
 * Puts the CSP on this test page (no request may go anywhere but the test
 * server; violations are reported) and starts watching requests; each test
 * starts clean (`beforeEach`).
 */
export function watchForLeaks(): void {
  const csp = document.createElement('meta');
  csp.httpEquiv = 'Content-Security-Policy';
  csp.content =
    "img-src 'self'; media-src 'none'; frame-src 'none'; object-src 'none'; font-src 'none'; form-action 'none'; base-uri 'self'";
  document.head.prepend(csp);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.name.includes('attacker.example')) requests.push(entry.name);
  }).observe({ type: 'resource', buffered: true });
  document.addEventListener('securitypolicyviolation', (e) =>
    violations.push(`${e.violatedDirective} ${e.blockedURI}`),
  );
  beforeEach(() => {
    w.__pwned = undefined;
    w.__pwn = () => {
      w.__pwned = 'called';
    };
    requests.length = 0;
    violations.length = 0;
  });
}

/** After a hostile answer: nothing ran, no request left, nothing was blocked, nothing clobbered the document. */
export async function expectNothingEscaped(): Promise<void> {
  // Let any late error/load handlers fire.
  await new Promise((r) => setTimeout(r, 20));
  expect(w.__pwned, 'a payload executed').to.equal(undefined);
  expect(requests, 'requests to attacker.example').to.deep.equal([]);
  expect(violations, 'CSP violations (blocked attempts)').to.deep.equal([]);
  expect(document.getElementById('__pwnConfig')).to.equal(null);
}

/** Whether a link may go there: http(s), mailto, a fragment, or a relative URL (no scheme of its own). */
export const safeHref = (href: string): boolean => /^(?:https?:|mailto:|#|[^:]*$|[^:]*[/?#])/i.test(href);

/**
 * Every way the rendered DOM under `root` could be unsafe, as a list of
 * findings (empty: safe). `alsoAllowed` names attributes the page around the
 * rendered text puts there itself (the widget's `part`, a list item's `value`).
 */
export function findings(root: ParentNode, imageOrigins: string[], alsoAllowed: string[] = []): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll('*')) {
    if (!ALLOWED_TAGS.has(el.tagName)) found.push(`element <${el.tagName.toLowerCase()}>`);
    if ((el.tagName === 'DIV' || el.tagName === 'BUTTON') && !/^md-/.test(el.className)) {
      found.push(`${el.tagName} not made by the renderer`);
    }
    for (const attr of el.attributes) {
      if (!ALLOWED_ATTRS.has(attr.name) && !alsoAllowed.includes(attr.name))
        found.push(`attribute ${attr.name} on <${el.tagName.toLowerCase()}>`);
    }
    const href = el.getAttribute('href');
    if (href !== null && !safeHref(href)) found.push(`href ${href}`);
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
