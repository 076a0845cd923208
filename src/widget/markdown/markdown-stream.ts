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
 *
 * This class takes the text and runs the frames; block-stepper.ts works off
 * the tail and keeps the live block; sections.ts appends the finished blocks.
 */
import { cancelFrameTask, currentFrame, frameTimeLeft, scheduleFrameTask } from '../frame-loop.js';
import { defaultStrings } from '../strings.js';
import { BlockStepper } from './block-stepper.js';
import { type CodeBlockLabels, copyCodeOnClick, relabelCodeBlocks } from './code-block.js';
import type { RenderPolicy } from './marked-setup.js';
import { CLOSED } from './plain-block.js';
import { warmUpPending, warmUpStep, warmUpWhenIdle } from './warm-up.js';

export interface MarkdownStreamOptions {
  /** Render raw HTML in the markdown (sanitized by the same allow-list) instead of showing it as text. */
  allowHtml?: boolean;
  /** Origins (`https://img.example`) whose images may load; by default none: images show as links. */
  imageOrigins?: Iterable<string>;
  /** Called inside the animation frame after the rendering changed the DOM (e.g. to follow the bottom). */
  onRender?: () => void;
  /** Words on code blocks' copy buttons; English by default. */
  labels?: CodeBlockLabels;
  /** Called inside the animation frame in which a complete text has been rendered whole. */
  onRenderedWhole?: (container: HTMLElement) => void;
}

/**
 * The frame in which a finished text (history catching up) last took a step. Each text renders at
 * least one step per frame so none starves; finished texts share that instead: one step per frame
 * among them all once the budget is spent. A reload brings several answers at once, and a step
 * each made frames of 20-37 ms of script (traced, README: Long conversations).
 */
let catchUpSteppedIn = -1;

export class MarkdownStream {
  /** The raw text as given to `update()` and `append()`. */
  #input = '';
  #inputComplete = false;
  /** Raw text given to `append()` since the last sync. */
  #appended = '';
  /** `update()` was called since the last sync: `input` may not extend what was synced. */
  #rewritten = false;
  /** How much of `input` is synced, and whether it ended in a CR (whose LF may follow). */
  #synced = 0;
  #endedWithCR = false;
  #lastInput = '';
  /** The synced text after the frozen blocks, and the blocks it renders to. */
  #tail: BlockStepper;
  readonly #policy: RenderPolicy;
  /** Sections and plain-text chunks that are full, to be marked closed in the next frame. */
  #closing: HTMLElement[] = [];
  readonly #closeLater = (element: HTMLElement): void => {
    this.#closing.push(element);
  };
  readonly #onRender: (() => void) | undefined;
  readonly #onRenderedWhole: ((container: HTMLElement) => void) | undefined;
  readonly #renderTask = (): void => this.#render();
  #scheduled = false;
  #labels: CodeBlockLabels;
  readonly #onCopyClick = copyCodeOnClick(() => this.#labels);

  constructor(
    private readonly container: HTMLElement,
    options: MarkdownStreamOptions = {},
  ) {
    this.#policy = {
      allowHtml: options.allowHtml === true,
      imageOrigins: new Set([...(options.imageOrigins ?? [])].map(toOrigin).filter((o) => o !== '')),
    };
    this.#tail = this.#newTail();
    this.#onRender = options.onRender;
    this.#onRenderedWhole = options.onRenderedWhole;
    this.#labels = options.labels ?? defaultStrings;
    container.addEventListener('click', this.#onCopyClick);
  }

  /**
   * Sets the text to show. Normally `text` extends the previous one; anything
   * else (a snapshot that rewrote it) starts the rendering over. Cheap: the
   * work happens in the next animation frame(s).
   */
  update(text: string, complete: boolean): void {
    if (text === this.#input && complete === this.#inputComplete) return;
    this.#input = text;
    this.#inputComplete = complete;
    this.#rewritten = true;
    this.#schedule();
  }

  /**
   * Adds `chunk` at the end of the text: the path for streamed deltas, which
   * costs the same however long the answer already is (`update()` compares
   * the whole text with what it had).
   */
  append(chunk: string): void {
    if (chunk === '') return;
    this.#input += chunk;
    if (!this.#rewritten) this.#appended += chunk;
    this.#schedule();
  }

  /** True while text is waiting to be rendered. */
  get pending(): boolean {
    return this.#scheduled;
  }

  /** True while a finished text is still being rendered (e.g. an answer from the history). */
  get catchingUp(): boolean {
    return this.#scheduled && this.#inputComplete;
  }

  /** Inside a frame task: renders now what this frame's budget leaves room for, the rest in the next frames. */
  renderNow(): void {
    if (frameTimeLeft() <= 0) return;
    cancelFrameTask(this.#renderTask);
    this.#render();
  }

  /** Renders everything given so far now, synchronously, ignoring the frame budget. */
  flush(): void {
    cancelFrameTask(this.#renderTask);
    this.#scheduled = false;
    this.#sync();
    while (this.#tail.step()) {
      // Each step is bounded; keep going until the text is caught up.
    }
    this.#onRender?.();
    this.#closeFull();
  }

  /** Stops rendering; the container keeps what it shows. */
  dispose(): void {
    cancelFrameTask(this.#renderTask);
    this.#scheduled = false;
    this.container.removeEventListener('click', this.#onCopyClick);
  }

  /** Puts new words on the copy buttons, those shown and those to come. */
  relabel(labels: CodeBlockLabels): void {
    this.#labels = labels;
    relabelCodeBlocks(this.container, labels);
  }

  #schedule(): void {
    this.#scheduled = true;
    scheduleFrameTask(this.#renderTask);
  }

  /** Brings `tail` up to date with `input`, normalising only the new part. */
  #sync(): void {
    const input = this.#input;
    let added = this.#appended;
    if (this.#rewritten) {
      if (this.#synced > 0 && !input.startsWith(this.#lastInput)) this.#reset();
      added = input.slice(this.#synced);
    }
    this.#rewritten = false;
    this.#appended = '';
    if (added !== '') {
      if (this.#endedWithCR && added.startsWith('\n')) added = added.slice(1);
      this.#endedWithCR = added.endsWith('\r');
      this.#tail.text += added.replace(/\r\n?/g, '\n');
      this.#synced = input.length;
      this.#lastInput = input;
    }
    this.#tail.complete = this.#inputComplete;
  }

  #reset(): void {
    this.container.replaceChildren();
    this.#tail = this.#newTail();
    this.#synced = 0;
    this.#endedWithCR = false;
    this.#lastInput = '';
    this.#closing = [];
  }

  /** The text after the frozen blocks, and the blocks it renders to: none yet. */
  #newTail(): BlockStepper {
    return new BlockStepper(
      this.container,
      this.#policy,
      () => this.#labels,
      this.#closeLater,
      () => this.#schedule(),
    );
  }

  #render(): void {
    this.#scheduled = false;
    if (warmUpPending()) {
      // The engine's cold start is still ahead (the page was never idle): the samples first, within
      // the budget, at least one per frame. Taken by this text's first step, it was a 30-80 ms task.
      do warmUpStep(renderSample);
      while (warmUpPending() && frameTimeLeft() > 0);
      if (warmUpPending() || frameTimeLeft() <= 0) {
        this.#schedule();
        return;
      }
    }
    this.#closeFull();
    if (this.#inputComplete && frameTimeLeft() <= 0 && catchUpSteppedIn === currentFrame()) {
      this.#schedule();
      return;
    }
    if (this.#inputComplete) catchUpSteppedIn = currentFrame();
    this.#sync();
    let steps = 0;
    for (;;) {
      const more = this.#tail.step();
      steps++;
      if (!more) break;
      if (frameTimeLeft() <= 0) {
        // Out of budget: the next frame goes on from here.
        this.#schedule();
        break;
      }
    }
    if (steps > 0) this.#onRender?.();
    // Sections that filled up in this frame are closed in the next one.
    if (this.#closing.length > 0 && !this.#scheduled) this.#schedule();
    else if (!this.#scheduled && this.#inputComplete) this.#onRenderedWhole?.(this.container);
  }

  /**
   * Marks full sections and chunks closed: the styles let the browser skip
   * them while off screen (content-visibility: auto). Only once full, so a
   * new one is never skipped (painted blank) for the frame in which it
   * appears; and only in a frame after they filled up, so the browser has
   * laid them out and remembers their size (contain-intrinsic-size: auto)
   * for when it skips them: the scroll height stays true.
   */
  #closeFull(): void {
    for (const element of this.#closing) element.classList.add(CLOSED);
    this.#closing = [];
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

/** Renders a warm-up sample into an element that is never shown. */
function renderSample(sample: string): void {
  const stream = new MarkdownStream(document.createElement('div'));
  stream.update(sample, true);
  stream.flush();
  stream.dispose();
}

/** Takes the markdown engine's cold start while the page is idle (warm-up.ts). */
export function warmUpMarkdown(): void {
  warmUpWhenIdle(renderSample);
}
