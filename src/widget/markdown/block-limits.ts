/**
 * Which blocks marked cannot render within a frame, or at all (very long
 * lines, huge blocks, thousands of nesting levels: marked's inline lexer is
 * quadratic on `**a**` runs and it overflows the stack on deep nesting), and
 * where such a block ends without lexing it.
 */
/** Blocks longer than this are shown as plain text. */
export const MAX_BLOCK = 64 * 1024;
/** Blocks other than code with a line longer than this are shown as plain text (marked's inline lexing is quadratic on some inputs). */
export const MAX_LINE = 16 * 1024;
/** Lines opening this many nested containers (quotes, lists) make their block plain text. */
export const DEEP_NESTING =
  /^[ \t]*(?:(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*){48}|^[ \t]{200,}(?:>|[*+-]|\d{1,9}[.)])/m;
/** A first line that a blank line may not end the block of: a fence, a list item, indented code. */
const CONTINUABLE = /^(?: {0,3}(?:`{3,}|~{3,}|[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))| {4}|\t)/;

/**
 * End of a block that is a single line followed by a blank line (a long
 * paragraph, say): after that blank line; -1 when the tail does not start so.
 * Lexing would say the same, but it costs a pass over the whole line.
 */
export function singleLineBlockEnd(tail: string): number {
  const nl = tail.indexOf('\n');
  if (nl < 0 || CONTINUABLE.test(tail.slice(0, Math.min(nl, 16)))) return -1;
  const blank = /^\n[ \t]*\n\n*/.exec(tail.slice(nl, nl + 256));
  return blank ? nl + blank[0].length : -1;
}

/** End of a deeply nested block: after the first blank line followed by an unindented, non-container line. */
export function deepBlockEnd(tail: string): number {
  const m = /\n[ \t]*\n(?=[^\s>*+\-\d])/.exec(tail);
  return m ? m.index + m[0].length : -1;
}

function hasLongLine(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    if ((nl < 0 ? text.length : nl) - from > max) return true;
    if (nl < 0) return false;
    from = nl + 1;
  }
}

/** Whether a block is shown as plain text rather than rendered markdown. */
export function tooHeavy(raw: string, type: string): boolean {
  if (raw.length > MAX_BLOCK) return true;
  if (type === 'code') return false;
  return hasLongLine(raw, MAX_LINE) || DEEP_NESTING.test(raw);
}
