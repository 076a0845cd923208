/**
 * The sanitizing policy for model output, which is untrusted (prompt injection
 * makes it attacker-chosen). An explicit allow-list rather than DOMPurify's
 * defaults, which keep forms, `style`, `srcset`, data: images and
 * `<svg><style>`.
 */
import DOMPurify from 'dompurify';
import { imageAllowed, type RenderPolicy } from './marked-setup.js';

const ALLOWED_TAGS = [
  'a',
  'b',
  'blockquote',
  'br',
  'code',
  'del',
  'details',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'input',
  'kbd',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
const ALLOWED_ATTR = [
  'href',
  'src',
  'alt',
  'title',
  'align',
  'start',
  'type',
  'checked',
  'disabled',
  'class',
];

/** http(s), mailto, fragments and scheme-less relative URLs; nothing else. */
export const SAFE_URL = /^(?:https?:|mailto:|[^:]*$|[^:]*[/?#])/i;
const SAFE_CLASS = /^(?:language-[\w+#.-]{1,40}|tok-[a-z]{1,12})$/;
export const LINK_REL = 'noopener noreferrer nofollow ugc';

let purifier: ReturnType<typeof DOMPurify> | undefined;
/** The policy of the sanitize call in progress (sanitizing is synchronous). */
let active: { policy: RenderPolicy; live: boolean } | undefined;

function createPurifier(): ReturnType<typeof DOMPurify> {
  // A private instance, so our hooks never affect a DOMPurify the host page uses.
  const instance = DOMPurify(window);
  instance.setConfig({
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ALLOWED_URI_REGEXP: SAFE_URL,
    ADD_URI_SAFE_ATTR: [],
    SANITIZE_DOM: true,
    SANITIZE_NAMED_PROPS: true,
    KEEP_CONTENT: true,
    RETURN_DOM_FRAGMENT: true,
  });
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (!(node instanceof Element)) return;
    const el = node;
    const classes = el.getAttribute('class');
    if (classes !== null) {
      const kept = classes.split(/\s+/).filter((c) => SAFE_CLASS.test(c));
      if (kept.length > 0) el.setAttribute('class', kept.join(' '));
      else el.removeAttribute('class');
    }
    switch (el.tagName) {
      case 'INPUT':
        // Only GFM task-list checkboxes, and never editable.
        if (el.getAttribute('type') !== 'checkbox') el.remove();
        else el.setAttribute('disabled', '');
        for (const name of ['src', 'alt', 'href']) el.removeAttribute(name);
        break;
      case 'A': {
        el.removeAttribute('src');
        const href = el.getAttribute('href');
        if (href !== null && !href.startsWith('#')) {
          el.setAttribute('target', '_blank');
          el.setAttribute('rel', LINK_REL);
        }
        break;
      }
      case 'IMG': {
        const src = el.getAttribute('src') ?? '';
        if (!active || !imageAllowed(src, active.policy, active.live)) {
          // Marked out for replacement by a link (see sanitizeToFragment); never loads.
          el.removeAttribute('src');
          el.setAttribute('class', 'tok-blocked');
          el.setAttribute('title', src);
        } else {
          el.setAttribute('loading', 'lazy');
          el.setAttribute('decoding', 'async');
          el.setAttribute('referrerpolicy', 'no-referrer');
        }
        break;
      }
      default:
        el.removeAttribute('src');
    }
  });
  return instance;
}

/** An image the policy refuses, shown as a link to it (or its alt text when the URL is unsafe). */
function imageAsLink(img: Element): Node {
  const doc = img.ownerDocument;
  const src = img.getAttribute('title') ?? '';
  const alt = img.getAttribute('alt') ?? '';
  if (src === '' || !SAFE_URL.test(src)) return doc.createTextNode(alt);
  const a = doc.createElement('a');
  a.setAttribute('href', src);
  if (!src.startsWith('#')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', LINK_REL);
  }
  a.textContent = alt || src;
  return a;
}

/**
 * Sanitizes rendered HTML into a fragment of an inert document (nothing in it
 * loads until it is appended); no string of it ever reaches an HTML sink.
 * `live`: the block is still streaming, so no image may load yet.
 */
export function sanitizeToFragment(html: string, policy: RenderPolicy, live: boolean): DocumentFragment {
  purifier ??= createPurifier();
  active = { policy, live };
  let fragment: DocumentFragment;
  try {
    // The policy is set once (setConfig): parsing it again on every call cost a fifth of each sanitize.
    const result: unknown = purifier.sanitize(html);
    if (!(result instanceof DocumentFragment)) throw new TypeError('DOMPurify did not return a fragment');
    fragment = result;
  } finally {
    active = undefined;
  }
  if (html.includes('<img')) {
    for (const img of fragment.querySelectorAll('img.tok-blocked')) img.replaceWith(imageAsLink(img));
  }
  return fragment;
}
