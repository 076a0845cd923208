/**
 * A long conversation's history, shown newest first. After a welcome the log
 * shows the newest answer and its question at once; older messages follow a
 * slice at a time, newest to oldest, each slice once the answers shown before
 * it have rendered (markdown renders within the frame loop's budget), so no
 * frame does a whole history's work. Messages shown above the reader keep
 * what they see in place: the message that was the oldest shown stays where
 * it was while a slice comes in and its answers render and get laid out
 * (a ResizeObserver sees each change, after layout and before paint), until
 * they have rendered. The browser's own scroll anchoring is off meanwhile: it
 * does nothing at the very top or in Safari, and Chromium and Firefox anchor
 * to a partly visible answer whose own growth then moves the view.
 *
 * A page of older history from the server (PROTOCOL.md section 17, asked for
 * when the reader scrolls near the top) comes in the same way, above the
 * message that was the oldest, which stays in place.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage } from '../chat-state.js';
import { scheduleFrameTask } from '../frame-loop.js';

/** A slice shows older messages until it holds this much text, and on to the start of a group. */
const SLICE_CHARS = 6000;

export interface OlderHistoryParts {
  messages(): readonly ChatMessage[];
  log(): HTMLElement | undefined;
  /** Whether answers already shown are still rendering. */
  rendering(): boolean;
  /** Whether the log follows its bottom (then that controller keeps the view). */
  following(): boolean;
  /** Whether the message held at this index is the oldest of its group (message-groups.ts). */
  startsGroup(index: number): boolean;
}

export class OlderHistoryController implements ReactiveController {
  /** How many of the oldest messages held are not shown yet. */
  #hidden = 0;
  /** The oldest message the last render showed. */
  #oldestShown: string | undefined;
  /** An update that shows older messages is due. */
  #revealing = false;
  /** The message that stays in place while older ones come in above it, and its offset in the view. */
  #anchor: { element: Element; top: number } | undefined;
  /**
   * Watches the messages that came in above the kept one for size changes. They stay skipped while
   * off screen (content-visibility: auto, at their placeholder size): only those near the view are
   * laid out, once, and keep that size after (contain-intrinsic-size: auto), so a correction cannot
   * make them change again. Laying them all out instead cost a whole answer's style and layout per
   * slice, in frames of about 50 ms while pages came in.
   */
  readonly #resized =
    typeof ResizeObserver === 'undefined'
      ? undefined
      : new ResizeObserver(() => {
          this.#quietFrames = 0;
          this.#keepPlace();
        });
  /**
   * Frames since one of them last changed size. The place is kept until two frames passed without:
   * a message the browser finds near the view is laid out a frame after that (content-visibility).
   */
  #quietFrames = 0;
  /** The log's scroll offset as the place was last kept. */
  #scrollTop = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly parts: OlderHistoryParts,
  ) {
    host.addController(this);
  }

  /** The messages to render: all but the oldest ones still hidden. */
  shown(messages: readonly ChatMessage[]): readonly ChatMessage[] {
    const shown = this.#hidden > 0 ? messages.slice(this.#hidden) : messages;
    this.#oldestShown = shown[0]?.key;
    return shown;
  }

  /** Every message held is shown (none still to come in slices). */
  get allShown(): boolean {
    return this.#hidden === 0;
  }

  /**
   * A welcome set the messages, or a page of older history came: those older
   * than what was shown (on a fresh page: all but the newest answer) come in slices.
   */
  historyArrived(): void {
    const messages = this.parts.messages();
    const shownFrom = messages.findIndex((m) => m.key === this.#oldestShown);
    this.#hide(
      shownFrom >= 0 ? shownFrom : Math.max(0, messages.findLastIndex((m) => m.role === 'assistant') - 1),
    );
  }

  /** A new conversation. */
  reset(): void {
    this.#hidden = 0;
    this.#oldestShown = undefined;
    this.#release();
  }

  hostUpdate(): void {
    const log = this.parts.log();
    const element = this.#revealing ? log?.querySelector('[data-key]') : undefined;
    if (!log || !element || this.parts.following()) return;
    this.#release();
    this.#anchor = { element, top: element.getBoundingClientRect().top };
    this.#scrollTop = log.scrollTop;
    log.style.overflowAnchor = 'none';
  }

  /** The log scrolled: if not by keeping the place, the reader scrolled, and leads from now on. */
  onScroll(): void {
    this.#readerScrolled();
  }

  hostUpdated(): void {
    const log = this.parts.log();
    const anchor = this.#anchor;
    if (anchor && this.#revealing) {
      // Watch what came in above the kept message: before it in its group, and the groups before that.
      for (let e: Element | null = anchor.element; e && e !== log; e = e.parentElement) {
        for (
          let above = e.previousElementSibling;
          above?.matches('[data-key], .group');
          above = above.previousElementSibling
        ) {
          this.#resized?.observe(above);
        }
      }
      this.#keepPlace();
    }
    this.#revealing = false;
    if (this.#hidden > 0 || this.#anchor) scheduleFrameTask(this.#step);
  }

  #keepPlace(): void {
    const log = this.parts.log();
    const anchor = this.#anchor;
    if (!log || !anchor?.element.isConnected || this.#readerScrolled()) return;
    log.scrollTop += anchor.element.getBoundingClientRect().top - anchor.top;
    this.#scrollTop = log.scrollTop;
  }

  /**
   * Whether the log was scrolled since the place was last kept (then the reader leads again), not
   * held back at its end by content above that got smaller.
   */
  #readerScrolled(): boolean {
    const log = this.parts.log();
    const top = log?.scrollTop ?? 0;
    const clamped = !!log && top < this.#scrollTop && top >= log.scrollHeight - log.clientHeight - 1;
    const scrolled = !!this.#anchor && !clamped && Math.abs(top - this.#scrollTop) > 1;
    if (scrolled) this.#release();
    return scrolled;
  }

  /** The reader leads again, with the browser's scroll anchoring. */
  #release(): void {
    this.#anchor = undefined;
    this.#resized?.disconnect();
    const log = this.parts.log();
    if (log) log.style.overflowAnchor = '';
  }

  #hide(count: number): void {
    this.#hidden = count;
    this.#revealing = true;
    this.host.requestUpdate();
  }

  /** Once the answers shown have rendered (and been laid out, in an earlier frame): the next slice. */
  readonly #step = (): void => {
    if (this.#revealing) return;
    if (this.parts.rendering() || (this.#anchor && this.#quietFrames++ < 2)) {
      scheduleFrameTask(this.#step);
      return;
    }
    this.#release();
    if (this.#hidden === 0) return;
    const messages = this.parts.messages();
    let chars = 0;
    // Whole groups: a message never comes into a group already shown.
    while (this.#hidden > 0 && (chars < SLICE_CHARS || !this.parts.startsGroup(this.#hidden))) {
      chars += messages[--this.#hidden]?.text.length ?? 0;
    }
    this.#revealing = true;
    this.host.requestUpdate();
  };
}
