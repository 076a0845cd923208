/**
 * Heals the unfinished markdown of the live (last) block, so that a stream
 * never shows raw unterminated syntax: the block renders as its finished text
 * would, as far as the text so far allows.
 *
 * - an open code span, emphasis (`*`, `_`, `**`, `__`, `~~`) is closed at the end;
 * - a delimiter run with nothing after it yet (`**`, a backtick) is held back;
 * - `[text](partial-url` and `[text]` show as `text`; a lone `[` or `![` is held back;
 * - the `<` of an autolink (or tag) still streaming (`<https://exa`) is held back;
 * - a last line of only `=` or `-` still being typed is held back: it may yet
 *   turn the paragraph above into a heading, or be the start of a list item;
 * - a table whose delimiter row has not arrived yet (`| a | b |`) gets one,
 *   so it shows as the table it is about to be rather than as a paragraph.
 *
 * Fenced code needs nothing: marked renders an unclosed fence as code.
 * Healing only ever applies to the live block; finished blocks render as is.
 */

const FENCE_START = /^ {0,3}(`{3,}|~{3,})/;
const BLOCK_START = /^ {0,3}(?:[*+-][ \t]|\d{1,9}[.)][ \t]|>|#{1,6}[ \t]|\|)/;
const THEMATIC_BREAK = /^ {0,3}([*_-])(?:[ \t]*\1){2,}[ \t]*$/;
const TABLE_DELIMITER_PARTIAL = /^ {0,3}\|?[ \t:|-]*$/;
/**
 * A `<` that may still become an autolink (`<scheme:…>`, `<user@host>`) or a
 * tag: nothing after it yet but a scheme, an address or a name, up to the end of the text.
 */
const OPEN_AUTOLINK =
  /^<(?:[A-Za-z][A-Za-z0-9+.-]{0,31}(?::[^\s<>]*)?|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?:@[A-Za-z0-9.-]*)?)?$/;
/** A line that could be a setext underline, or the start of a list item. */
const SETEXT_PARTIAL = /\n {0,3}(?:=+|-+)[ \t]*$/;

/** Start of the last run of lines that inline markup can span (a paragraph, item or cell row). */
function segmentStart(text: string): number {
  let end = text.length;
  for (;;) {
    const nl = text.lastIndexOf('\n', end - 1);
    const lineStart = nl + 1;
    const line = text.slice(lineStart, end);
    if (nl < 0 || BLOCK_START.test(line) || line.trim() === '') return lineStart;
    const prev = text.slice(text.lastIndexOf('\n', nl - 1) + 1, nl);
    if (prev.trim() === '' || prev.trimStart().startsWith('|')) return lineStart;
    end = nl;
  }
}

interface Opener {
  char: string;
  length: number;
}

const isSpace = (c: string): boolean => c === '' || /\s/.test(c);
const isPunct = (c: string): boolean => /[\p{P}\p{S}]/u.test(c);

/** Heals the inline markup of one segment; returns the text to render. */
function healInline(segment: string, depth = 0): string {
  if (depth > 8) return segment;
  const stack: Opener[] = [];
  let codeRun = 0;
  let codeStart = -1;
  let bracket = -1;
  let linkDest = -1;
  let linkDepth = 0;
  /** The last delimiter run, and whether it closed an opener. */
  let lastRun = { index: -1, end: -1, closed: false };
  let i = 0;
  while (i < segment.length) {
    const ch = segment[i] as string;
    if (codeRun > 0) {
      if (ch === '`') {
        let n = 1;
        while (segment[i + n] === '`') n++;
        if (n === codeRun) codeRun = 0;
        i += n;
      } else i++;
      continue;
    }
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (linkDest >= 0) {
      if (ch === '(') linkDepth++;
      else if (ch === ')' && --linkDepth < 0) {
        linkDest = -1;
        bracket = -1;
      }
      i++;
      continue;
    }
    if (ch === '`') {
      let n = 1;
      while (segment[i + n] === '`') n++;
      codeRun = n;
      codeStart = i;
      i += n;
      continue;
    }
    if (ch === '<' && OPEN_AUTOLINK.test(segment.slice(i))) {
      return healInline(segment.slice(0, i) + segment.slice(i + 1), depth + 1);
    }
    if (ch === '[') {
      bracket = segment[i - 1] === '!' ? i - 1 : i;
      i++;
      continue;
    }
    if (ch === ']' && bracket >= 0) {
      if (segment[i + 1] === '(') {
        linkDest = bracket;
        linkDepth = 0;
        i += 2;
        continue;
      }
      if (i === segment.trimEnd().length - 1) {
        // `[text]` at the very end: about to become a link; show the text.
        const open = segment[bracket] === '!' ? bracket + 2 : bracket + 1;
        return healInline(segment.slice(0, bracket) + segment.slice(open, i), depth + 1);
      }
      bracket = -1;
      i++;
      continue;
    }
    if (ch === '*' || ch === '_' || ch === '~') {
      let n = 1;
      while (segment[i + n] === ch) n++;
      const before = segment[i - 1] ?? '';
      const after = segment[i + n] ?? '';
      const left = !isSpace(after) && (!isPunct(after) || isSpace(before) || isPunct(before));
      const right = !isSpace(before) && (!isPunct(before) || isSpace(after) || isPunct(after));
      const canOpen = ch === '_' ? left && (!right || isPunct(before)) : left;
      const canClose = ch === '_' ? right && (!left || isPunct(after)) : right;
      const top = stack[stack.length - 1];
      lastRun = { index: i, end: i + n, closed: false };
      // A shorter run cannot close a longer opener yet (`**bold*`: the second `*` is on its way).
      if (canClose && top && top.char === ch && n >= top.length) {
        stack.pop();
        lastRun.closed = true;
      } else if (canOpen && (ch !== '~' || n <= 2)) stack.push({ char: ch, length: Math.min(n, 3) });
      i += n;
      continue;
    }
    i++;
  }

  let out = segment;
  if (codeRun > 0) {
    // An open code span: close it (emphasis opened before it is closed below), or hold back a run with nothing after it yet.
    if (out.slice(codeStart + codeRun).trim() === '') return healInline(out.slice(0, codeStart), depth + 1);
    out = `${out}${'`'.repeat(codeRun)}`;
    if (stack.length === 0) return out;
    lastRun = { index: -1, end: -1, closed: false };
  }
  if (linkDest >= 0) {
    // `[text](partial-url`: show the text until the destination is complete.
    const close = out.indexOf('](', linkDest);
    const open = out[linkDest] === '!' ? linkDest + 2 : linkDest + 1;
    return healInline(out.slice(0, linkDest) + out.slice(open, close), depth + 1);
  }
  if (bracket >= 0 && out.indexOf(']', bracket) < 0) {
    const open = out[bracket] === '!' ? bracket + 2 : bracket + 1;
    out = out.slice(0, bracket) + out.slice(open);
    return healInline(out, depth + 1);
  }
  // Hold back a trailing delimiter run with nothing after it yet (it cannot render yet).
  if (lastRun.index >= 0 && !lastRun.closed && out.slice(lastRun.end).trim() === '') {
    return healInline(out.slice(0, lastRun.index), depth + 1);
  }
  if (stack.length === 0) return out;
  const body = out.trimEnd();
  let closers = '';
  for (let k = stack.length - 1; k >= 0; k--) {
    const opener = stack[k] as Opener;
    closers += opener.char.repeat(opener.length);
  }
  return body + closers;
}

/** Gives a lone header row (and a partial delimiter row) the delimiter row it is about to get. */
function healTable(block: string): string | undefined {
  const lines = block.split('\n');
  const header = lines[0] as string;
  if (!/^ {0,3}\|/.test(header) || lines.length > 2) return undefined;
  if (lines.length === 2 && !TABLE_DELIMITER_PARTIAL.test(lines[1] as string)) return undefined;
  const cells = header
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|\s*$/, '')
    .split(/(?<!\\)\|/);
  if (cells.length === 0 || cells.every((c) => c.trim() === '')) return undefined;
  return `${healInline(header)}\n|${' --- |'.repeat(cells.length)}`;
}

/** Heals the raw text of the live block (see the module comment). */
export function healBlock(raw: string): string {
  if (FENCE_START.test(raw)) return raw;
  // Trailing newlines are insignificant at the end of the text, and closers must come before them.
  let block = raw.replace(/\n+$/, '');
  const underline = raw === block ? SETEXT_PARTIAL.exec(block) : null;
  if (underline) block = block.slice(0, underline.index);
  const table = healTable(block);
  if (table !== undefined) return table;
  const start = segmentStart(block);
  const segment = block.slice(start);
  if (THEMATIC_BREAK.test(segment)) return block;
  return block.slice(0, start) + healInline(segment);
}
