/**
 * Works off the tail of a MarkdownStream, the synced text after its frozen
 * blocks, one bounded step at a time. Only the tail is lexed, in windows, so
 * a large backlog is worked off in bounded steps. The finished blocks at its
 * start are frozen (sections.ts). The last, unfinished block is live: its
 * unterminated syntax is healed (heal.ts) and it is re-rendered in place; a
 * live fenced code block grows line by line instead (code-block.ts); a live
 * block whose re-rendering no longer fits the frame budget
 * (live-render-cost.ts) is shown as plain text until it is finished. Blocks
 * that marked cannot render within a frame, or at all (block-limits.ts), are
 * plain text too, and where such a block ends is found without lexing it
 * every frame.
 */
import type { Token, Tokens } from 'marked';
import { frameTimeLeft } from '../frame-loop.js';
import { DEEP_NESTING, deepBlockEnd, singleLineBlockEnd, tooHeavy } from './block-limits.js';
import { type CodeBlockLabels, LiveCodeBlock } from './code-block.js';
import { healBlock } from './heal.js';
import { LiveRenderCost } from './live-render-cost.js';
import { fenceLanguage, type RenderPolicy } from './marked-setup.js';
import { PlainBlock } from './plain-block.js';
import { Sections } from './sections.js';

/** At most this much of a backlog is lexed in one step. */
const WINDOW = 64 * 1024;
const FENCE = /^ {0,3}(?:`{3,}|~{3,})/;

type Live =
  | { kind: 'none' }
  | { kind: 'html'; nodes: Node[] }
  | { kind: 'code'; block: LiveCodeBlock }
  /** A block shown as text; `retryAt`: tail length at which to look for its end again (0: every frame). */
  | { kind: 'plain'; block: PlainBlock; retryAt: number };

export class BlockStepper {
  /**
   * The synced text after the frozen blocks (line endings normalised as
   * marked would). Only this tail is kept: no per-frame operation touches
   * the whole answer.
   */
  text = '';
  complete = false;
  #live: Live = { kind: 'none' };
  /** What re-rendering the live block costs, to show it as text once that no longer fits a frame. */
  readonly #liveCost = new LiveRenderCost();
  readonly #sections: Sections;

  /** `schedule`: runs another step in the next frame. The other parameters are the Sections'. */
  constructor(
    container: HTMLElement,
    policy: RenderPolicy,
    labels: () => CodeBlockLabels,
    closeLater: (element: HTMLElement) => void,
    private readonly schedule: () => void,
  ) {
    this.#sections = new Sections(container, policy, labels, closeLater);
  }

  /** Block-level tokens of `src` (no inline lexing: that happens per block, when it is rendered). */
  #blocks(src: string): Token[] | undefined {
    try {
      return this.#sections.newLexer().blockTokens(src, []);
    } catch {
      return undefined;
    }
  }

  /** One bounded piece of work; true when there is more to do now. */
  step(): boolean {
    const tail = this.text;
    if (tail === '') {
      this.#removeLive();
      return false;
    }
    if (this.#live.kind === 'plain' && !this.complete && tail.length < this.#live.retryAt) {
      this.#live.block.update(tail);
      return false;
    }

    let src = tail;
    let cut = false;
    if (src.length > WINDOW) {
      const nl = src.lastIndexOf('\n', WINDOW);
      src = src.slice(0, nl > 0 ? nl + 1 : WINDOW);
      cut = true;
    }
    // Deeply nested containers would overflow marked's stack: lex only what comes before them.
    let beforeDeep = false;
    const deep = DEEP_NESTING.exec(src);
    if (deep) {
      const blank = src.lastIndexOf('\n\n', deep.index);
      if (blank < 0) return this.#plainBlock(tail, deepBlockEnd(tail), false);
      src = src.slice(0, blank + 2);
      cut = true;
      beforeDeep = true;
    }

    const tokens = this.#blocks(src);
    if (!tokens) return this.#plainBlock(tail, -1, false);
    let liveFrom = tokens.length;
    if (!beforeDeep && (cut || !this.complete)) {
      liveFrom = tokens.length - 1;
      while (liveFrom > 0 && tokens[liveFrom]?.type === 'space') liveFrom--;
      liveFrom = this.#mayStillJoin(tokens, liveFrom);
    }
    let froze = 0;
    for (const token of tokens.slice(0, Math.max(liveFrom, 0))) {
      if (froze > 0 && frameTimeLeft() <= 0) return true;
      this.#freeze(token);
      froze++;
    }
    if (cut) {
      if (froze > 0) return true;
      // One block fills the whole window: too big to render; show it as text.
      return this.#plainBlock(tail, -1, true);
    }
    const live = tokens.slice(Math.max(liveFrom, 0)).filter((t) => t.type !== 'space');
    if (froze > 0 && live.length > 0) {
      // A frame that rendered finished blocks leaves the new live one to the next frame,
      // so no frame pays for both.
      this.schedule();
      return false;
    }
    if (live.length === 1) this.#renderLive(live[0] as Token);
    else if (live.length > 1)
      this.#renderLive({ type: 'paragraph', raw: live.map((t) => t.raw).join('') } as Token);
    else this.#removeLive();
    return false;
  }

  /**
   * Moves the start of the live region back over blocks the live one may
   * still change: a reference definition (its title may be on the next line)
   * and a list when the live text is a bare number (`3` before its `.`).
   */
  #mayStillJoin(tokens: Token[], liveFrom: number): number {
    let from = liveFrom;
    for (;;) {
      let prev = from - 1;
      while (prev >= 0 && tokens[prev]?.type === 'space') prev--;
      const before = tokens[prev];
      const current = tokens[from];
      if (!before || !current) return from;
      const joins =
        before.type === 'def' || (before.type === 'list' && /^ {0,3}\d{1,9}\s*$/.test(current.raw));
      if (!joins) return from;
      from = prev;
    }
  }

  /**
   * The block at the start of `tail` is shown as plain text. `end`: where it
   * ends, if known; else, when `canLex`, lexing finds out (at most each time
   * the tail doubles, so the cost stays linear).
   */
  #plainBlock(tail: string, end: number, canLex: boolean): boolean {
    const retry = this.complete || this.#live.kind !== 'plain' || tail.length >= this.#live.retryAt;
    // Without a blank line the whole tail is this one block: lexing megabytes would only say so.
    if (this.#live.kind === 'plain' && !tail.includes('\n\n')) canLex = false;
    if (end < 0 && canLex && retry) {
      const single = singleLineBlockEnd(tail);
      if (single > 0 && tooHeavy(tail.slice(0, single), 'paragraph')) end = single;
    }
    if (end < 0 && canLex && retry) {
      const tokens = this.#blocks(tail);
      const first = tokens?.[0];
      const more = tokens?.some((t, i) => i > 0 && t.type !== 'space') ?? false;
      if (first && !tooHeavy(first.raw, first.type) && (more || this.complete)) {
        this.#freeze(first);
        return true;
      }
      if (first && more) end = first.raw.length;
      else if (first && !tooHeavy(first.raw, first.type)) {
        // Not heavy after all (the window cut it): render it normally.
        this.#renderLive(first);
        return false;
      }
    }
    if (end > 0 || this.complete) {
      const raw = end > 0 ? tail.slice(0, end) : tail;
      // The live block already shows most of it: finish that one rather than laying out
      // megabytes of text again in a single frame.
      const live = this.#live.kind === 'plain' ? this.#live.block : undefined;
      if (live) this.#live = { kind: 'none' };
      else this.#removeLive();
      const block = live ?? new PlainBlock(this.#sections.closeLater);
      block.update(raw.replace(/\n+$/, ''));
      if (!live) this.#sections.appendOutsideSections(block.root);
      else this.#sections.endSection();
      this.#consume(raw.length);
      return true;
    }
    if (this.#live.kind !== 'plain') {
      this.#removeLive();
      const block = new PlainBlock(this.#sections.closeLater);
      this.#sections.appendOutsideSections(block.root);
      this.#live = { kind: 'plain', block, retryAt: tail.length * 2 };
    } else if (retry) {
      this.#live.retryAt = tail.length * 2;
    }
    this.#live.block.update(tail);
    return false;
  }

  /** Drops `chars` finished characters from the start of the tail: the live block that follows is a new one. */
  #consume(chars: number): void {
    this.text = this.text.slice(chars);
    this.#liveCost.reset();
  }

  /** A finished block: it is no longer live, it leaves the tail, and it is frozen. */
  #freeze(token: Token): void {
    this.#removeLive();
    this.#consume(token.raw.length);
    this.#sections.freeze(token);
  }

  #renderLive(token: Token): void {
    if (token.type === 'code' && FENCE.test(token.raw) && !tooHeavy(token.raw, 'code')) {
      const lang = fenceLanguage((token as Tokens.Code).lang);
      const text = (token as Tokens.Code).text;
      if (this.#live.kind === 'code' && this.#live.block.lang === lang && this.#live.block.update(text))
        return;
      this.#removeLive();
      const block = new LiveCodeBlock(lang, this.#sections.labels());
      block.update(text);
      this.#sections.container.append(block.root);
      this.#live = { kind: 'code', block };
      return;
    }
    if (tooHeavy(token.raw, token.type)) {
      this.#plainBlock(this.text, -1, false);
      return;
    }
    if (!this.#liveCost.fits(token.raw)) {
      this.#livePlain(token.raw);
      return;
    }
    const started = performance.now();
    const rendered = this.#sections.renderBlock(healBlock(token.raw), true);
    this.#removeLive();
    const nodes = rendered instanceof DocumentFragment ? [...rendered.childNodes] : [rendered];
    this.#sections.container.append(rendered);
    this.#live = { kind: 'html', nodes };
    this.#liveCost.record(token.raw, performance.now() - started);
  }

  /**
   * Shows the live block as text: it is small enough to lex every frame (so its end is
   * seen at once), but rendering it as markdown no longer fits a frame.
   */
  #livePlain(raw: string): void {
    if (this.#live.kind !== 'plain') {
      this.#removeLive();
      const block = new PlainBlock(this.#sections.closeLater);
      this.#sections.container.append(block.root);
      this.#live = { kind: 'plain', block, retryAt: 0 };
    }
    this.#live.block.update(raw);
  }

  #removeLive(): void {
    switch (this.#live.kind) {
      case 'html':
        for (const node of this.#live.nodes) node.parentNode?.removeChild(node);
        break;
      case 'code':
      case 'plain':
        this.#live.block.root.remove();
        break;
      default:
        break;
    }
    this.#live = { kind: 'none' };
  }
}
