/**
 * The one configured marked instance: GFM, raw HTML shown as text unless the
 * page owner opts in, fenced code highlighted (explicit registry, see
 * highlight.ts), and images shown as links unless their origin is allowed (a
 * rendered remote image is a way to leak the conversation to a third party).
 */
import { Marked, type Token, type Tokens } from 'marked';
import { highlightText, isHighlighted, type Piece } from './highlight.js';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] as string);
}

/** What the page owner allows; fixed per MarkdownStream. */
export interface RenderPolicy {
  /** Render raw HTML in the markdown (still sanitized) instead of showing it as text. */
  allowHtml: boolean;
  /** Origins (`https://img.example`) whose images may load; empty: none. */
  imageOrigins: ReadonlySet<string>;
}

export const DEFAULT_POLICY: RenderPolicy = { allowHtml: false, imageOrigins: new Set() };

/** Whether an image URL may load: only from an allowed origin, and never while its block still streams. */
export function imageAllowed(src: string, policy: RenderPolicy, live: boolean): boolean {
  if (live || policy.imageOrigins.size === 0) return false;
  try {
    const url = new URL(src);
    return (url.protocol === 'https:' || url.protocol === 'http:') && policy.imageOrigins.has(url.origin);
  } catch {
    return false;
  }
}

/** The language name of a fence's info string (its first word), lower-cased. */
export function fenceLanguage(lang: string | undefined): string {
  return (lang ?? '').trim().split(/\s/, 1)[0]?.toLowerCase() ?? '';
}

/** Serializes highlighted pieces as HTML (spans with `tok-<kind>` classes). */
export function piecesToHtml(pieces: Piece[]): string {
  let html = '';
  for (const [kind, text] of pieces) {
    html += kind ? `<span class="tok-${kind}">${escapeHtml(text)}</span>` : escapeHtml(text);
  }
  return html;
}

/** Rendering state for the (synchronous) parse in progress. */
let current: { policy: RenderPolicy; live: boolean } = { policy: DEFAULT_POLICY, live: false };

export const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return current.policy.allowHtml ? text : escapeHtml(text);
    },
    image({ href, text, title }: Tokens.Image): string {
      if (imageAllowed(href, current.policy, current.live)) {
        const t = title ? ` title="${escapeHtml(title)}"` : '';
        return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}"${t}>`;
      }
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
    code({ text, lang }: Tokens.Code): string {
      const name = fenceLanguage(lang);
      const body = text ? `${text.replace(/\n$/, '')}\n` : '';
      const cls = name ? ` class="language-${escapeHtml(name)}"` : '';
      const inner = isHighlighted(name) ? piecesToHtml(highlightText(name, body)) : escapeHtml(body);
      return `<pre><code${cls}>${inner}</code></pre>\n`;
    },
  },
});

/** Renders block tokens to an HTML string (still to be sanitized). */
export function renderTokens(tokens: Token[], policy: RenderPolicy, live: boolean): string {
  const previous = current;
  current = { policy, live };
  try {
    return marked.parser(tokens);
  } finally {
    current = previous;
  }
}
