/**
 * Lays finished answers out before the reader scrolls to them. A message off
 * screen is skipped (content-visibility: auto, message-styles.ts), and the
 * browser builds its style and layout the first time it comes near the view:
 * a reader scrolling through history never shown paid for that in the frames
 * of the scroll (in a 200-answer log, 81-104 frames over 17 ms and tasks of up
 * to 80 ms in a sweep, where a second sweep over the same answers had 0-6
 * such frames). Here it is done while the
 * page is idle (requestIdleCallback; without it, as in WebKit, nothing is laid
 * out ahead), a piece at a time: reading an element's geometry makes the
 * browser lay out the skipped elements around it, each closed section of an
 * answer being skipped on its own, and a skipped element keeps its layout
 * until something in it changes.
 */

/** An idle period with less left than this is let go: a section of an answer takes a few ms to lay out. */
const MIN_IDLE_MS = 10;
/**
 * No read starts after this much work in one idle callback, however long the idle period:
 * a long task would delay the next frame or input.
 */
const WORK_MS = 8;
/** While the widget is busy (an answer streams, history comes in), it looks again this much later. */
const BUSY_RETRY_MS = 250;

export class LayoutAhead {
  /** Answers' markdown elements to lay out, oldest addition first. */
  readonly #answers = new Set<Element>();
  /** Elements of the answer being laid out, each read in turn. */
  #reads: Element[] = [];
  #requested = false;

  /** `busy`: the widget has frames of its own to render now; laying out waits. */
  constructor(private readonly busy: () => boolean) {}

  /** An answer's markdown is rendered whole: it is laid out when the page is next idle. */
  add(markdown: Element): void {
    this.#answers.add(markdown);
    this.#request();
  }

  /** A new conversation. */
  clear(): void {
    this.#answers.clear();
    this.#reads = [];
  }

  #request(): void {
    if (this.#requested || typeof requestIdleCallback !== 'function') return;
    this.#requested = true;
    requestIdleCallback(this.#run);
  }

  readonly #run = (deadline: IdleDeadline): void => {
    if (this.#answers.size === 0 && this.#reads.length === 0) {
      // Cleared meanwhile: nothing to wait for.
      this.#requested = false;
      return;
    }
    if (this.busy()) {
      setTimeout(() => {
        this.#requested = false;
        this.#request();
      }, BUSY_RETRY_MS);
      return;
    }
    this.#requested = false;
    const start = performance.now();
    while (deadline.timeRemaining() > MIN_IDLE_MS && performance.now() - start < WORK_MS) {
      const read = this.#reads.pop();
      if (read) {
        read.getBoundingClientRect();
        continue;
      }
      const [next] = this.#answers;
      if (!next) return;
      this.#answers.delete(next);
      // Inside each closed section (skipped on its own), and last (popped first) the rest of the answer.
      this.#reads = [...next.querySelectorAll(':scope > .md-closed > :first-child')];
      if (next.lastElementChild) this.#reads.push(next.lastElementChild);
    }
    this.#request();
  };
}
