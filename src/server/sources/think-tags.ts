import type { SourceChunk } from './types.js';

const OPEN = '<think>';
const CLOSE = '</think>';

/** How many characters at the end of `text` could begin `tag` (a tag split across chunks). */
function partialTagAtEnd(text: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, text.length); k > 0; k--) {
    if (tag.startsWith(text.slice(-k))) return k;
  }
  return 0;
}

/**
 * Splits a model's content stream into reasoning and answer text when the
 * server has no reasoning parser and the model writes its thinking as
 * `<think>…</think>` at the start of its content (DeepSeek-R1, Qwen3 and
 * others behind a plain template). A tag may be cut anywhere between chunks:
 * a chunk's end that could begin a tag waits for the next one. Only a block
 * that opens the content counts, so an answer that talks about `<think>`
 * tags later stays text; whitespace around the block is dropped. Answer
 * text comes out as plain strings, reasoning as `{ type: 'reasoning' }`.
 */
export class ThinkTagSplitter {
  private state: 'start' | 'reasoning' | 'after' | 'answer' = 'start';
  private held = '';
  /** The reasoning's first characters are still to come (its leading whitespace is dropped). */
  private reasoningStarts = true;

  push(content: string): SourceChunk[] {
    const out: SourceChunk[] = [];
    let rest = this.held + content;
    this.held = '';
    for (;;) {
      if (this.state === 'answer') {
        if (rest !== '') out.push(rest);
        return out;
      }
      if (this.state === 'start') {
        const trimmed = rest.trimStart();
        if (trimmed.length < OPEN.length && OPEN.startsWith(trimmed)) {
          this.held = rest; // nothing yet, or the beginning of `<think>`: wait for more
          return out;
        }
        if (trimmed.startsWith(OPEN)) {
          this.state = 'reasoning';
          rest = trimmed.slice(OPEN.length);
        } else this.state = 'answer';
        continue;
      }
      if (this.state === 'reasoning') {
        const end = rest.indexOf(CLOSE);
        const keep = end >= 0 ? 0 : partialTagAtEnd(rest, CLOSE);
        const thought = end >= 0 ? rest.slice(0, end) : rest.slice(0, rest.length - keep);
        this.pushReasoning(out, thought);
        if (end < 0) {
          this.held = rest.slice(rest.length - keep);
          return out;
        }
        this.state = 'after';
        rest = rest.slice(end + CLOSE.length);
        continue;
      }
      // after `</think>`: the answer starts at its first non-blank character
      const trimmed = rest.trimStart();
      if (trimmed === '') return out;
      this.state = 'answer';
      rest = trimmed;
    }
  }

  /** What is still held at the end of the content (a tag that never completed is text as written). */
  end(): SourceChunk[] {
    const held = this.held;
    this.held = '';
    if (held === '') return [];
    if (this.state === 'reasoning') {
      const out: SourceChunk[] = [];
      this.pushReasoning(out, held);
      return out;
    }
    return this.state === 'after' ? [] : [held];
  }

  private pushReasoning(out: SourceChunk[], text: string): void {
    const thought = this.reasoningStarts ? text.trimStart() : text;
    if (thought === '') return;
    this.reasoningStarts = false;
    out.push({ type: 'reasoning', text: thought });
  }
}
