/**
 * A small, line-by-line syntax highlighter with an explicit language registry.
 *
 * Why not a library: highlight.js with these 14 languages costs about 30 KB
 * gzip and Shiki far more, over the widget's size budget; Prism would fit but
 * highlights every `code[class*=language-]` in the host page on load unless
 * the page opts out, and keeps a global. This one knows keywords, strings,
 * comments, numbers (and tags for markup), which is what a reader needs, and
 * it works a line at a time with a carried state, so a code block streaming
 * in is highlighted line by line, never re-highlighted from the start.
 * Languages are only ever taken from the fence's info string, never guessed.
 */
import { css, type Grammar, json, MARKUP, registry, sql } from './grammars.js';

export { HIGHLIGHTED_LANGUAGES, isHighlighted } from './grammars.js';

/** A highlighted piece of a line: a class suffix (`tok-<kind>`) or null for plain text. */
export type Piece = [kind: string | null, text: string];

/** State carried from one line to the next: '' or an open multi-line construct. */
export type LineState = string;

const IDENT = /[A-Za-z_$][\w$]*/y;
const NUMBER = /(?:0[xXbBoO][\da-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[a-zA-Z]*/y;
const HEX_COLOR = /#[\da-fA-F]{3,8}\b/y;

function push(out: Piece[], kind: string | null, text: string): void {
  if (text === '') return;
  const last = out[out.length - 1];
  if (last && last[0] === kind) last[1] += text;
  else out.push([kind, text]);
}

/** Index just past the closing `quote` in `line` from `from`, honouring backslashes; -1 if it stays open. */
function closeQuote(line: string, from: number, quote: string, escapes: boolean): number {
  for (let i = from; i < line.length; i++) {
    if (escapes && line[i] === '\\') {
      i++;
      continue;
    }
    if (line.startsWith(quote, i)) return i + quote.length;
  }
  return -1;
}

function grammarLine(g: Grammar, line: string, state: LineState, out: Piece[]): LineState {
  let i = 0;
  // Continue a construct left open by the previous line.
  if (state === 'comment' && g.blockComment) {
    const end = line.indexOf(g.blockComment[1]);
    if (end < 0) {
      push(out, 'comment', line);
      return state;
    }
    i = end + g.blockComment[1].length;
    push(out, 'comment', line.slice(0, i));
  } else if (state.startsWith('str:')) {
    const quote = state.slice(4);
    const end = closeQuote(line, 0, quote, true);
    if (end < 0) {
      push(out, 'string', line);
      return state;
    }
    i = end;
    push(out, 'string', line.slice(0, i));
  }
  if (i === 0 && g.preprocessor && /^\s*#\s*\w+/.test(line)) {
    push(out, 'keyword', line);
    return '';
  }
  let plainFrom = i;
  const flush = (to: number): void => push(out, null, line.slice(plainFrom, to));
  while (i < line.length) {
    const ch = line[i] as string;
    const lineComment = g.lineComments?.find((p) => line.startsWith(p, i));
    if (
      lineComment &&
      (!g.hashCommentAtWordStart || lineComment !== '#' || i === 0 || /\s/.test(line[i - 1] as string))
    ) {
      flush(i);
      push(out, 'comment', line.slice(i));
      return '';
    }
    if (g.blockComment && line.startsWith(g.blockComment[0], i)) {
      flush(i);
      const end = line.indexOf(g.blockComment[1], i + g.blockComment[0].length);
      if (end < 0) {
        push(out, 'comment', line.slice(i));
        return 'comment';
      }
      const stop = end + g.blockComment[1].length;
      push(out, 'comment', line.slice(i, stop));
      i = plainFrom = stop;
      continue;
    }
    const multi = g.multilineStrings?.find((q) => line.startsWith(q, i));
    const single = multi ? undefined : g.strings.find((q) => line.startsWith(q, i));
    const quote = multi ?? single;
    if (quote) {
      flush(i);
      const end = closeQuote(line, i + quote.length, quote, !(g === sql));
      if (end < 0) {
        push(out, 'string', line.slice(i));
        return multi ? `str:${quote}` : '';
      }
      const isKey = g.properties && /^\s*:/.test(line.slice(end));
      push(out, isKey ? 'property' : 'string', line.slice(i, end));
      i = plainFrom = end;
      continue;
    }
    if (g.variables && ch === '$' && /[\w{(@#?*!-]/.test(line[i + 1] ?? '')) {
      flush(i);
      const m = /^\$(?:\{[^}]*\}?|\(|[\w]+|[@#?*!-])/.exec(line.slice(i));
      const text = m ? m[0] : '$';
      push(out, 'variable', text);
      i = plainFrom = i + text.length;
      continue;
    }
    if (g.atWords && ch === '@') {
      IDENT.lastIndex = i + 1;
      const m = IDENT.exec(line);
      if (m) {
        flush(i);
        push(out, 'keyword', `@${m[0]}`);
        i = plainFrom = i + 1 + m[0].length;
        continue;
      }
    }
    const prev = i > 0 ? (line[i - 1] as string) : '';
    if (g === css && ch === '#') {
      HEX_COLOR.lastIndex = i;
      const m = HEX_COLOR.exec(line);
      if (m) {
        flush(i);
        push(out, 'number', m[0]);
        i = plainFrom = i + m[0].length;
        continue;
      }
    }
    if (/\d/.test(ch) && !/[\w$]/.test(prev)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(line);
      if (m) {
        flush(i);
        push(out, 'number', m[0]);
        i = plainFrom = i + m[0].length;
        continue;
      }
    }
    if (/[A-Za-z_$]/.test(ch) && !/[\w$]/.test(prev)) {
      IDENT.lastIndex = i;
      const m = IDENT.exec(line);
      if (m) {
        const word = m[0];
        const key = g.caseInsensitive ? word.toLowerCase() : word;
        let kind: string | null = null;
        if (g.keywords.has(key)) kind = 'keyword';
        else if (g.literals?.has(key)) kind = 'literal';
        else if (g.types?.has(key)) kind = 'type';
        else if (g.properties && g !== json && /^\s*:(?!:)/.test(line.slice(i + word.length)))
          kind = 'property';
        if (kind) {
          flush(i);
          push(out, kind, word);
          plainFrom = i + word.length;
        }
        i += word.length;
        continue;
      }
    }
    i++;
  }
  flush(line.length);
  return '';
}

/** HTML/XML: comments, tags, attribute names and values; state 'comment' or 'tag' across lines. */
function markupLine(line: string, state: LineState, out: Piece[]): LineState {
  let i = 0;
  let plainFrom = 0;
  const flush = (to: number): void => push(out, null, line.slice(plainFrom, to));
  while (i < line.length) {
    if (state === 'comment') {
      const end = line.indexOf('-->', i);
      const stop = end < 0 ? line.length : end + 3;
      push(out, 'comment', line.slice(i, stop));
      i = plainFrom = stop;
      if (end >= 0) state = '';
      continue;
    }
    if (state === 'tag') {
      const ch = line[i] as string;
      if (ch === '>' || line.startsWith('/>', i)) {
        flush(i);
        const len = ch === '>' ? 1 : 2;
        push(out, 'tag', line.slice(i, i + len));
        i = plainFrom = i + len;
        state = '';
        continue;
      }
      if (ch === '"' || ch === "'") {
        flush(i);
        const end = line.indexOf(ch, i + 1);
        const stop = end < 0 ? line.length : end + 1;
        push(out, 'string', line.slice(i, stop));
        i = plainFrom = stop;
        continue;
      }
      const m = /^[^\s=>/"']+/.exec(line.slice(i));
      if (m) {
        flush(i);
        push(out, 'property', m[0]);
        i = plainFrom = i + m[0].length;
        continue;
      }
      i++;
      continue;
    }
    if (line.startsWith('<!--', i)) {
      flush(i);
      state = 'comment';
      continue;
    }
    const tag = /^<\/?[A-Za-z][\w:.-]*|^<[!?][A-Za-z]*/.exec(line.slice(i));
    if (tag) {
      flush(i);
      push(out, 'tag', tag[0]);
      i = plainFrom = i + tag[0].length;
      state = 'tag';
      continue;
    }
    i++;
  }
  flush(line.length);
  return state;
}

/**
 * Highlights one line (without its newline) given the state the previous line
 * left, appending pieces to `out`; returns the state for the next line.
 * Unknown languages give the whole line as one plain piece.
 */
export function highlightLine(lang: string, line: string, state: LineState, out: Piece[]): LineState {
  const grammar = registry[lang.toLowerCase()];
  if (grammar === undefined || !Object.hasOwn(registry, lang.toLowerCase())) {
    push(out, null, line);
    return '';
  }
  if (grammar === MARKUP) return markupLine(line, state, out);
  return grammarLine(grammar, line, state, out);
}

/** Highlights a whole text (lines joined by `\n`, newlines kept as plain pieces). */
export function highlightText(lang: string, text: string): Piece[] {
  const out: Piece[] = [];
  let state: LineState = '';
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    const line = nl < 0 ? text.slice(from) : text.slice(from, nl);
    state = highlightLine(lang, line, state, out);
    if (nl < 0) break;
    push(out, null, '\n');
    from = nl + 1;
  }
  return out;
}
