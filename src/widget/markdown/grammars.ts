/**
 * The languages the highlighter knows, each by its words and quoting rules,
 * and the registry of names and aliases a fence may use (see highlight.ts).
 */

export interface Grammar {
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
export const json: Grammar = {
  keywords: new Set(),
  literals: words('true false null'),
  strings: ['"'],
  properties: true,
};
export const css: Grammar = {
  keywords: words('important'),
  blockComment: ['/*', '*/'],
  strings: ['"', "'"],
  properties: true,
  atWords: true,
};
export const sql: Grammar = {
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
export const MARKUP = 'markup';

export const registry: Record<string, Grammar | typeof MARKUP> = {
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
