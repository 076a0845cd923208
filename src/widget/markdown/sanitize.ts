/**
 * The sanitizing policy for model output, which is untrusted (prompt injection
 * makes it attacker-chosen). An explicit allow-list rather than DOMPurify's
 * defaults, which keep forms, `style`, `srcset` and data: images.
 */
import DOMPurify from 'dompurify';

const ALLOWED_TAGS = [
  'a',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'input',
  'li',
  'ol',
  'p',
  'pre',
  'span',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'align', 'start', 'type', 'checked', 'disabled', 'class'];

/** http(s), mailto, fragments and scheme-less relative URLs; nothing else. */
const SAFE_URL = /^(?:https?:|mailto:|[^:]*$|[^:]*[/?#])/i;
const SAFE_CLASS = /^(?:language-[\w+#.-]{1,40}|hljs[\w-]*)$/;
const LINK_REL = 'noopener noreferrer nofollow ugc';

let purifier: ReturnType<typeof DOMPurify> | undefined;

function createPurifier(): ReturnType<typeof DOMPurify> {
  // A private instance, so our hooks never affect a DOMPurify the host page uses.
  const instance = DOMPurify(window);
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (!(node instanceof Element)) return;
    const classes = node.getAttribute('class');
    if (classes !== null) {
      const kept = classes.split(/\s+/).filter((c) => SAFE_CLASS.test(c));
      if (kept.length > 0) node.setAttribute('class', kept.join(' '));
      else node.removeAttribute('class');
    }
    if (node.tagName === 'INPUT') {
      // Only GFM task-list checkboxes, and never editable.
      if (node.getAttribute('type') !== 'checkbox') node.remove();
      else node.setAttribute('disabled', '');
    }
    if (node.tagName === 'A') {
      const href = node.getAttribute('href');
      if (href !== null && !href.startsWith('#')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', LINK_REL);
      }
    }
  });
  return instance;
}

/** Sanitizes rendered HTML into a fragment; no string of it ever reaches an HTML sink. */
export function sanitizeToFragment(html: string): DocumentFragment {
  purifier ??= createPurifier();
  return purifier.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [...ALLOWED_ATTR, 'target', 'rel'],
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ALLOWED_URI_REGEXP: SAFE_URL,
    SANITIZE_DOM: true,
    SANITIZE_NAMED_PROPS: true,
    KEEP_CONTENT: true,
    RETURN_DOM_FRAGMENT: true,
  });
}
