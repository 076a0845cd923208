/**
 * Renders a growing markdown text into a container, as cheaply as appending
 * plain text:
 *
 * - The text is kept as one string; `update()` only stores it. All DOM work
 *   happens in the shared animation-frame loop, within its per-frame budget;
 *   when rendering falls behind, the next frame catches up from the string.
 * - Only the tail after the last finished block is lexed (in windows, so a
 *   large backlog is worked off in bounded steps). Finished top-level blocks
 *   are rendered, sanitized and appended once and never touched again: their
 *   nodes keep identity, so selection, scroll and focus inside them survive.
 * - Only the last, unfinished block is live: its unterminated syntax is healed
 *   (heal.ts) and it is re-rendered in place. A live fenced code block grows
 *   line by line instead, highlighted as it arrives. A live block whose
 *   re-rendering no longer fits the frame budget (live-render-cost.ts) is
 *   shown as plain text until it is finished, then rendered once.
 * - Finished blocks are grouped into sections of a few KB, which the styles
 *   mark `content-visibility: auto`: the browser skips style, layout and
 *   paint of sections off screen, so a frame costs the same at the end of a
 *   long answer as at its start (without it, Chromium's per-frame work grew
 *   with the whole answer: layout, compositing inputs and paint).
 * - Blocks that marked cannot render within a frame, or at all (very long
 *   lines, huge blocks, thousands of nesting levels: marked's inline lexer is
 *   quadratic on `**a**` runs and it overflows the stack on deep nesting),
 *   are shown as plain text, in fixed-size chunks so layout stays cheap.
 */
import type { Lexer, Links, Token, Tokens } from 'marked';
import { cancelFrameTask, frameTimeLeft, scheduleFrameTask } from '../frame-loop.js';
import { defaultStrings } from '../strings.js';
import { DEEP_NESTING, deepBlockEnd, singleLineBlockEnd, tooHeavy } from './block-limits.js';
import {
  type CodeBlockLabels,
  copyCodeOnClick,
  frameCodeBlocks,
  LiveCodeBlock,
  relabelCodeBlocks,
} from './code-block.js';
import { healBlock } from './heal.js';
import { LiveRenderCost } from './live-render-cost.js';
import { fenceLanguage, marked, type RenderPolicy, renderTokens } from './marked-setup.js';
import { CLOSED, PlainBlock } from './plain-block.js';
import { sanitizeToFragment } from './sanitize.js';

export interface MarkdownStreamOptions {
  /** Render raw HTML in the markdown (sanitized by the same allow-list) instead of showing it as text. */
  allowHtml?: boolean;
  /** Origins (`https://img.example`) whose images may load; by default none: images show as links. */
  imageOrigins?: Iterable<string>;
  /** Called inside the animation frame after the rendering changed the DOM (e.g. to follow the bottom). */
  onRender?: () => void;
  /** Words on code blocks' copy buttons; English by default. */
  labels?: CodeBlockLabels;
}

/** At most this much of a backlog is lexed in one step. */
const WINDOW = 64 * 1024;
const FENCE = /^ {0,3}(?:`{3,}|~{3,})/;
/** A section of finished blocks is closed once it holds this much markdown. */
const SECTION_CHARS = 4096;

type Live =
  | { kind: 'none' }
  | { kind: 'html'; nodes: Node[] }
  | { kind: 'code'; block: LiveCodeBlock }
  /** A block shown as text; `retryAt`: tail length at which to look for its end again (0: every frame). */
  | { kind: 'plain'; block: PlainBlock; retryAt: number };

export class MarkdownStream {
  /** The raw text as given to `update()` and `append()`. */
  private input = '';
  private inputComplete = false;
  /** Raw text given to `append()` since the last sync. */
  private appended = '';
  /** `update()` was called since the last sync: `input` may not extend what was synced. */
  private rewritten = false;
  /** How much of `input` is synced, and whether it ended in a CR (whose LF may follow). */
  private synced = 0;
  private endedWithCR = false;
  private lastInput = '';
  /**
   * The synced text after the frozen blocks (line endings normalised as
   * marked would). Only this tail is kept: no per-frame operation touches
   * the whole answer.
   */
  private tail = '';
  private complete = false;
  /** Reference-link definitions seen in frozen blocks, for the blocks after them. */
  private links: Links = Object.create(null);
  private live: Live = { kind: 'none' };
  /** What re-rendering the live block costs, to show it as text once that no longer fits a frame. */
  private readonly liveCost = new LiveRenderCost();
  /** The section finished blocks are appended to, and how much markdown it holds. */
  private section: HTMLElement | undefined;
  private sectionChars = 0;
  /** Sections and plain-text chunks that are full, to be marked closed in the next frame. */
  private closing: HTMLElement[] = [];
  private readonly closeLater = (element: HTMLElement): void => {
    this.closing.push(element);
  };
  private readonly policy: RenderPolicy;
  private readonly onRender: (() => void) | undefined;
  private readonly renderTask = (): void => this.render();
  private scheduled = false;
  private labels: CodeBlockLabels;
  private readonly onCopyClick = copyCodeOnClick(() => this.labels);

  constructor(
    private readonly container: HTMLElement,
    options: MarkdownStreamOptions = {},
  ) {
    this.policy = {
      allowHtml: options.allowHtml === true,
      imageOrigins: new Set([...(options.imageOrigins ?? [])].map(toOrigin).filter((o) => o !== '')),
    };
    this.onRender = options.onRender;
    this.labels = options.labels ?? defaultStrings;
    container.addEventListener('click', this.onCopyClick);
  }

  /**
   * Sets the text to show. Normally `text` extends the previous one; anything
   * else (a snapshot that rewrote it) starts the rendering over. Cheap: the
   * work happens in the next animation frame(s).
   */
  update(text: string, complete: boolean): void {
    if (text === this.input && complete === this.inputComplete) return;
    this.input = text;
    this.inputComplete = complete;
    this.rewritten = true;
    this.schedule();
  }

  /**
   * Adds `chunk` at the end of the text: the path for streamed deltas, which
   * costs the same however long the answer already is (`update()` compares
   * the whole text with what it had).
   */
  append(chunk: string): void {
    if (chunk === '') return;
    this.input += chunk;
    if (!this.rewritten) this.appended += chunk;
    this.schedule();
  }

  /** True while text is waiting to be rendered. */
  get pending(): boolean {
    return this.scheduled;
  }

  /** Renders everything given so far now, synchronously, ignoring the frame budget. */
  flush(): void {
    cancelFrameTask(this.renderTask);
    this.scheduled = false;
    this.sync();
    while (this.step()) {
      // Each step is bounded; keep going until the text is caught up.
    }
    this.onRender?.();
    this.closeFull();
  }

  /** Stops rendering; the container keeps what it shows. */
  dispose(): void {
    cancelFrameTask(this.renderTask);
    this.scheduled = false;
    this.container.removeEventListener('click', this.onCopyClick);
  }

  /** Puts new words on the copy buttons, those shown and those to come. */
  relabel(labels: CodeBlockLabels): void {
    this.labels = labels;
    relabelCodeBlocks(this.container, labels);
  }

  private schedule(): void {
    this.scheduled = true;
    scheduleFrameTask(this.renderTask);
  }

  /** Brings `tail` up to date with `input`, normalising only the new part. */
  private sync(): void {
    const input = this.input;
    let added = this.appended;
    if (this.rewritten) {
      if (this.synced > 0 && !input.startsWith(this.lastInput)) this.reset();
      added = input.slice(this.synced);
    }
    this.rewritten = false;
    this.appended = '';
    if (added !== '') {
      if (this.endedWithCR && added.startsWith('\n')) added = added.slice(1);
      this.endedWithCR = added.endsWith('\r');
      this.tail += added.replace(/\r\n?/g, '\n');
      this.synced = input.length;
      this.lastInput = input;
    }
    this.complete = this.inputComplete;
  }

  private reset(): void {
    this.container.replaceChildren();
    this.tail = '';
    this.synced = 0;
    this.endedWithCR = false;
    this.lastInput = '';
    this.links = Object.create(null);
    this.live = { kind: 'none' };
    this.liveCost.reset();
    this.section = undefined;
    this.closing = [];
  }

  private render(): void {
    this.scheduled = false;
    this.closeFull();
    this.sync();
    let steps = 0;
    for (;;) {
      const more = this.step();
      steps++;
      if (!more) break;
      if (frameTimeLeft() <= 0) {
        // Out of budget: the next frame goes on from here.
        this.schedule();
        break;
      }
    }
    if (steps > 0) this.onRender?.();
    // Sections that filled up in this frame are closed in the next one.
    if (this.closing.length > 0 && !this.scheduled) this.schedule();
  }

  /**
   * Marks full sections and chunks closed: the styles let the browser skip
   * them while off screen (content-visibility: auto). Only once full, so a
   * new one is never skipped (painted blank) for the frame in which it
   * appears; and only in a frame after they filled up, so the browser has
   * laid them out and remembers their size (contain-intrinsic-size: auto)
   * for when it skips them: the scroll height stays true.
   */
  private closeFull(): void {
    for (const element of this.closing) element.classList.add(CLOSED);
    this.closing = [];
  }

  private newLexer(): Lexer {
    const lexer = new marked.Lexer(marked.defaults);
    Object.assign(lexer.tokens.links, this.links);
    return lexer;
  }

  /** Block-level tokens of `src` (no inline lexing: that happens per block, when it is rendered). */
  private blocks(src: string): Token[] | undefined {
    try {
      return this.newLexer().blockTokens(src, []);
    } catch {
      return undefined;
    }
  }

  /** One bounded piece of work; true when there is more to do now. */
  private step(): boolean {
    const tail = this.tail;
    if (tail === '') {
      this.removeLive();
      return false;
    }
    if (this.live.kind === 'plain' && !this.complete && tail.length < this.live.retryAt) {
      this.live.block.update(tail);
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
      if (blank < 0) return this.plainBlock(tail, deepBlockEnd(tail), false);
      src = src.slice(0, blank + 2);
      cut = true;
      beforeDeep = true;
    }

    const tokens = this.blocks(src);
    if (!tokens) return this.plainBlock(tail, -1, false);
    let liveFrom = tokens.length;
    if (!beforeDeep && (cut || !this.complete)) {
      liveFrom = tokens.length - 1;
      while (liveFrom > 0 && tokens[liveFrom]?.type === 'space') liveFrom--;
      liveFrom = this.mayStillJoin(tokens, liveFrom);
    }
    let froze = 0;
    for (const token of tokens.slice(0, Math.max(liveFrom, 0))) {
      if (froze > 0 && frameTimeLeft() <= 0) return true;
      this.freeze(token);
      froze++;
    }
    if (cut) {
      if (froze > 0) return true;
      // One block fills the whole window: too big to render; show it as text.
      return this.plainBlock(tail, -1, true);
    }
    const live = tokens.slice(Math.max(liveFrom, 0)).filter((t) => t.type !== 'space');
    if (froze > 0 && live.length > 0) {
      // A frame that rendered finished blocks leaves the new live one to the next frame,
      // so no frame pays for both.
      this.schedule();
      return false;
    }
    if (live.length === 1) this.renderLive(live[0] as Token);
    else if (live.length > 1)
      this.renderLive({ type: 'paragraph', raw: live.map((t) => t.raw).join('') } as Token);
    else this.removeLive();
    return false;
  }

  /**
   * Moves the start of the live region back over blocks the live one may
   * still change: a reference definition (its title may be on the next line)
   * and a list when the live text is a bare number (`3` before its `.`).
   */
  private mayStillJoin(tokens: Token[], liveFrom: number): number {
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
  private plainBlock(tail: string, end: number, canLex: boolean): boolean {
    const retry = this.complete || this.live.kind !== 'plain' || tail.length >= this.live.retryAt;
    // Without a blank line the whole tail is this one block: lexing megabytes would only say so.
    if (this.live.kind === 'plain' && !tail.includes('\n\n')) canLex = false;
    if (end < 0 && canLex && retry) {
      const single = singleLineBlockEnd(tail);
      if (single > 0 && tooHeavy(tail.slice(0, single), 'paragraph')) end = single;
    }
    if (end < 0 && canLex && retry) {
      const tokens = this.blocks(tail);
      const first = tokens?.[0];
      const more = tokens?.some((t, i) => i > 0 && t.type !== 'space') ?? false;
      if (first && !tooHeavy(first.raw, first.type) && (more || this.complete)) {
        this.freeze(first);
        return true;
      }
      if (first && more) end = first.raw.length;
      else if (first && !tooHeavy(first.raw, first.type)) {
        // Not heavy after all (the window cut it): render it normally.
        this.renderLive(first);
        return false;
      }
    }
    if (end > 0 || this.complete) {
      const raw = end > 0 ? tail.slice(0, end) : tail;
      // The live block already shows most of it: finish that one rather than laying out
      // megabytes of text again in a single frame.
      const live = this.live.kind === 'plain' ? this.live.block : undefined;
      if (live) this.live = { kind: 'none' };
      else this.removeLive();
      const block = live ?? new PlainBlock(this.closeLater);
      block.update(raw.replace(/\n+$/, ''));
      if (!live) this.appendOutsideSections(block.root);
      else this.endSection();
      this.consume(raw.length);
      return true;
    }
    if (this.live.kind !== 'plain') {
      this.removeLive();
      const block = new PlainBlock(this.closeLater);
      this.appendOutsideSections(block.root);
      this.live = { kind: 'plain', block, retryAt: tail.length * 2 };
    } else if (retry) {
      this.live.retryAt = tail.length * 2;
    }
    this.live.block.update(tail);
    return false;
  }

  /** Drops `chars` finished characters from the start of the tail: the live block that follows is a new one. */
  private consume(chars: number): void {
    this.tail = this.tail.slice(chars);
    this.liveCost.reset();
  }

  /** Renders a finished block once and appends it; it is never touched again. */
  private freeze(token: Token): void {
    this.removeLive();
    this.consume(token.raw.length);
    if (token.type === 'space') return;
    if (token.type === 'def') {
      // First definition wins, as in marked; only finished ones, never a URL still streaming in.
      const def = token as Tokens.Def;
      if (!(def.tag in this.links)) this.links[def.tag] = { href: def.href, title: def.title };
      return;
    }
    if (tooHeavy(token.raw, token.type)) {
      const block = new PlainBlock(this.closeLater);
      block.update(token.raw.replace(/\n+$/, ''));
      this.appendOutsideSections(block.root);
      return;
    }
    this.appendToSection(this.renderBlock(token.raw, false), token.raw.length);
  }

  /** Appends a finished block to the open section, opening a new one when there is none or it is full. */
  private appendToSection(block: Node, chars: number): void {
    if (!this.section || this.sectionChars >= SECTION_CHARS) {
      this.endSection();
      this.section = document.createElement('div');
      this.section.className = 'md-section';
      this.sectionChars = 0;
      this.container.append(this.section);
    }
    this.section.append(block);
    this.sectionChars += chars;
  }

  /** Appends a plain-text block (already cheap to lay out, chunk by chunk) after the sections; the next finished block opens a new one. */
  private appendOutsideSections(block: HTMLElement): void {
    this.container.append(block);
    this.endSection();
  }

  /** Ends the open section, if any (it closes in the next frame); the next finished block opens a new one. */
  private endSection(): void {
    if (this.section) this.closeLater(this.section);
    this.section = undefined;
  }

  /** Lexes (inline included), renders, sanitizes and frames one block's markdown. */
  private renderBlock(raw: string, live: boolean): Node {
    let tokens: Token[];
    try {
      tokens = this.newLexer().lex(raw);
    } catch {
      const block = new PlainBlock(this.closeLater);
      block.update(raw.replace(/\n+$/, ''));
      return block.root;
    }
    const fragment = sanitizeToFragment(renderTokens(tokens, this.policy, live), this.policy, live);
    frameCodeBlocks(fragment, this.labels);
    return fragment;
  }

  private renderLive(token: Token): void {
    if (token.type === 'code' && FENCE.test(token.raw) && !tooHeavy(token.raw, 'code')) {
      const lang = fenceLanguage((token as Tokens.Code).lang);
      const text = (token as Tokens.Code).text;
      if (this.live.kind === 'code' && this.live.block.lang === lang && this.live.block.update(text)) return;
      this.removeLive();
      const block = new LiveCodeBlock(lang, this.labels);
      block.update(text);
      this.container.append(block.root);
      this.live = { kind: 'code', block };
      return;
    }
    if (tooHeavy(token.raw, token.type)) {
      this.plainBlock(this.tail, -1, false);
      return;
    }
    if (!this.liveCost.fits(token.raw)) {
      this.livePlain(token.raw);
      return;
    }
    const started = performance.now();
    const rendered = this.renderBlock(healBlock(token.raw), true);
    this.removeLive();
    const nodes = rendered instanceof DocumentFragment ? [...rendered.childNodes] : [rendered];
    this.container.append(rendered);
    this.live = { kind: 'html', nodes };
    this.liveCost.record(token.raw, performance.now() - started);
  }

  /**
   * Shows the live block as text: it is small enough to lex every frame (so its end is
   * seen at once), but rendering it as markdown no longer fits a frame.
   */
  private livePlain(raw: string): void {
    if (this.live.kind !== 'plain') {
      this.removeLive();
      const block = new PlainBlock(this.closeLater);
      this.container.append(block.root);
      this.live = { kind: 'plain', block, retryAt: 0 };
    }
    this.live.block.update(raw);
  }

  private removeLive(): void {
    switch (this.live.kind) {
      case 'html':
        for (const node of this.live.nodes) node.parentNode?.removeChild(node);
        break;
      case 'code':
      case 'plain':
        this.live.block.root.remove();
        break;
      default:
        break;
    }
    this.live = { kind: 'none' };
  }
}

function toOrigin(value: string): string {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : '';
  } catch {
    return '';
  }
}
