/**
 * The one configured marked instance: GFM, raw HTML shown as text, and images
 * shown as links (a rendered remote image is a way to leak the conversation
 * to a third party).
 */
import { Marked, type Token, type Tokens } from 'marked';

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

export const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

/** Renders block tokens to an HTML string (still to be sanitized). */
export function renderTokens(tokens: Token[]): string {
  return marked.parser(tokens);
}
