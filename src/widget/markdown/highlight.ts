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

/** A highlighted piece of a line: a class suffix (`tok-<kind>`) or null for plain text. */
export type Piece = [kind: string | null, text: string];

/** State carried from one line to the next: '' or an open multi-line construct. */
export type LineState = string;

interface Grammar {
  keywords: Set<string>;
  literals?: Set<string>;
  types?: Set<string>;
  caseInsensitive?: boolean;
  lineComments?: string[];
  /** `#` starts a comment only at a word boundary (shell). */
  hashCommentAtWordStart?: boolean;
  blockComment?: [string, string];
  /** Quotes that close on the same line. */
  strings: string[];
  /** Quotes that may span lines (longest first). */
  multilineStrings?: string[];
  /** `#include`-style lines. */
  preprocessor?: boolean;
  /** `$NAME` / `${...}` variables. */
  variables?: boolean;
  /** Identifiers followed by `:` are properties (CSS, JSON keys). */
  properties?: boolean;
  /** `@name` (decorators, CSS at-rules). */
  atWords?: boolean;
}

const words = (s: string): Set<string> => new Set(s.split(' '));

const C_LIKE = 'break case continue default do else for goto if return sizeof switch while';
const C_TYPES =
  'auto char const double enum extern float inline int long register restrict short signed static struct typedef union unsigned void volatile bool size_t';
const JS_KEYWORDS =
  'async await break case catch class const continue debugger default delete do else export extends finally for from function get if import in instanceof let new of return set static super switch this throw try typeof var void while with yield';
const JS_LITERALS = words('true false null undefined NaN Infinity');
const TS_EXTRA =
  ' abstract as declare enum implements interface keyof namespace private protected public readonly satisfies type';
const TS_TYPES = words('any boolean never number object string symbol unknown bigint');

const javascript: Grammar = {
  keywords: words(JS_KEYWORDS),
  literals: JS_LITERALS,
  lineComments: ['//'],
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  multilineStrings: ['`'],
};
const typescript: Grammar = { ...javascript, keywords: words(JS_KEYWORDS + TS_EXTRA), types: TS_TYPES };
const python: Grammar = {
  keywords: words(
    'and as assert async await break class continue def del elif else except finally for from global if import in is lambda match case nonlocal not or pass raise return try while with yield',
  ),
  literals: words('True False None'),
  types: words('int float str bool list dict set tuple bytes object self'),
  lineComments: ['#'],
  strings: ['"', "'"],
  multilineStrings: ['"""', "'''"],
  atWords: true,
};
const bash: Grammar = {
  keywords: words(
    'if then else elif fi for while until do done case esac function in return exit export local readonly declare unset shift source alias set',
  ),
  literals: words('true false'),
  types: words('echo printf cd ls cat grep sed awk curl npm npx node git sudo mkdir rm cp mv test'),
  lineComments: ['#'],
  hashCommentAtWordStart: true,
  strings: [],
  multilineStrings: ['"', "'"],
  variables: true,
};
const json: Grammar = {
  keywords: new Set(),
  literals: words('true false null'),
  strings: ['"'],
  properties: true,
};
const css: Grammar = {
  keywords: words('important'),
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  properties: true,
  atWords: true,
};
const sql: Grammar = {
  keywords: words(
    'add all alter and as asc begin between by case check column commit constraint create cross default delete desc distinct drop else end exists foreign from full group having if in index inner insert into is join key left like limit not null offset on or order outer primary references returning right rollback select set table then transaction union unique update using values view when where with',
  ),
  literals: words('true false null'),
  types: words(
    'int integer bigint smallint text varchar char boolean date timestamp numeric decimal real serial',
  ),
  caseInsensitive: true,
  lineComments: ['--'],
  blockComment: ['/*', '*/'],
  strings: ["'"],
  multilineStrings: [],
};
const go: Grammar = {
  keywords: words(
    'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var',
  ),
  literals: words('true false nil iota'),
  types: words(
    'bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any',
  ),
  lineComments: ['//'],
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  multilineStrings: ['`'],
};
const rust: Grammar = {
  keywords: words(
    'as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while',
  ),
  literals: words('true false None Some Ok Err'),
  types: words(
    'i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str String Vec Option Result Box',
  ),
  lineComments: ['//'],
  blockComment: ['/*', '*/'],
  strings: [],
  multilineStrings: ['"'],
};
const java: Grammar = {
  keywords: words(
    'abstract assert break case catch class continue default do else enum extends final finally for if implements import instanceof interface native new package private protected public return static super switch synchronized this throw throws transient try var volatile while record yield',
  ),
  literals: words('true false null'),
  types: words('boolean byte char double float int long short void String Object'),
  lineComments: ['//'],
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  atWords: true,
};
const c: Grammar = {
  keywords: words(C_LIKE),
  literals: words('true false NULL nullptr'),
  types: words(C_TYPES),
  lineComments: ['//'],
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  preprocessor: true,
};
const cpp: Grammar = {
  ...c,
  keywords: words(
    `${C_LIKE} catch class constexpr delete explicit friend mutable namespace new noexcept operator override private protected public template this throw try typename using virtual`,
  ),
  types: words(`${C_TYPES} std string vector map`),
};

/** Markup is tokenized by its own small state machine (see `markupLine`). */
const MARKUP = 'markup';

const registry: Record<string, Grammar | typeof MARKUP> = {
  js: javascript,
  javascript,
  jsx: javascript,
  mjs: javascript,
  cjs: javascript,
  ts: typescript,
  typescript,
  tsx: typescript,
  py: python,
  python,
  bash,
  sh: bash,
  shell: bash,
  zsh: bash,
  console: bash,
  json,
  jsonc: json,
  html: MARKUP,
  xml: MARKUP,
  svg: MARKUP,
  xhtml: MARKUP,
  css,
  sql,
  go,
  golang: go,
  rust,
  rs: rust,
  java,
  c,
  h: c,
  cpp,
  'c++': cpp,
  cc: cpp,
  cxx: cpp,
  hpp: cpp,
};

/** The language names and aliases highlighted; anything else renders plain. */
export const HIGHLIGHTED_LANGUAGES: readonly string[] = Object.keys(registry);

export function isHighlighted(lang: string): boolean {
  return Object.hasOwn(registry, lang.toLowerCase());
}

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
