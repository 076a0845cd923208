/**
 * Keeps the log at its bottom while the reader is there, and lets go once
 * they scroll up.
 *
 * Where the browser has CSS scroll anchoring (Chromium, Firefox), the browser
 * does the following itself: while following, every child of the log but an
 * end marker opts out of anchoring (with its descendants), so the marker is the anchor and each
 * layout keeps it where it was, at the bottom. No script reads the layout in
 * the middle of a frame, which would force the browser to lay out the log
 * once more in that frame. Anchoring does nothing while the log is scrolled
 * to the very top (the spec suppresses it there), and a host page can turn
 * it off, so an IntersectionObserver on the marker scrolls back down the
 * frame after the marker leaves the view. Without scroll anchoring (Safari),
 * the log is scrolled after each rendered frame.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Evaluated once: whether this browser anchors scrolling (`overflow-anchor`). */
const browserAnchors = typeof CSS !== 'undefined' && CSS.supports('overflow-anchor', 'auto');

/** How close to the bottom (px) still counts as "at the bottom" after the reader scrolls down. */
const AT_BOTTOM_PX = 8;

/** Keys that scroll a focused scroll container up, with any modifier but Alt (Alt+Home goes to the home page). */
const SCROLL_UP_KEY = /^(ArrowUp|PageUp|Home)$/;

export class FollowBottomController implements ReactiveController {
  /** Whether the log follows new content (the reader is at the bottom). */
  following = true;
  /** The log's scrollTop when a scroll event or our own scroll last set it. */
  #knownScrollTop = 0;
  #observer: IntersectionObserver | undefined;
  #observed: Element | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** The scrolling log and its end marker, once rendered. */
    private readonly parts: () => { log: HTMLElement; end: HTMLElement } | undefined,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    this.#observeEnd();
    this.#scrollToEnd();
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
    this.#observed = undefined;
  }

  /** After a frame's rendering: only where the browser does not anchor. */
  afterFrame(): void {
    if (!browserAnchors) this.#scrollToEnd();
  }

  /**
   * The reader scrolled (anchoring scrolls too): any step up lets go of the
   * bottom, since an animated keyboard scroll (WebKit) starts with a step of a
   * few pixels and the next frame's follow would undo it; a step down to near
   * the bottom follows again.
   */
  readonly onScroll = (event: Event): void => {
    const log = event.currentTarget as HTMLElement;
    const movedUp = log.scrollTop < this.#knownScrollTop - 0.5;
    // A scroll event that did not move (WebKit sends one as a keyboard scroll starts)
    // says nothing of the reader, and must not undo a key's letting go.
    if (!movedUp && log.scrollTop <= this.#knownScrollTop + 0.5) return;
    const fromBottom = log.scrollHeight - log.scrollTop - log.clientHeight;
    this.#knownScrollTop = log.scrollTop;
    // Moving up while at the very bottom is the log shrinking (clamping), not the reader.
    this.#setFollowing(fromBottom < (movedUp ? 1 : AT_BOTTOM_PX));
  };

  /**
   * A key or wheel that will scroll the log up lets go of the bottom before
   * the browser scrolls: WebKit animates a keyboard scroll, and a follow that
   * lands before its first step (a rendered frame, any update) cancels it.
   */
  readonly #onScrollIntent = (event: Event): void => {
    const log = event.currentTarget as HTMLElement;
    const up =
      event instanceof WheelEvent
        ? event.deltaY < 0
        : !(event as KeyboardEvent).altKey && SCROLL_UP_KEY.test((event as KeyboardEvent).key);
    if (up && log.scrollTop > 0) this.#setFollowing(false);
  };

  readonly jumpToLatest = (): void => {
    this.#setFollowing(true);
    this.#scrollToEnd();
  };

  #setFollowing(following: boolean): void {
    if (following === this.following) return;
    this.following = following;
    this.host.requestUpdate();
  }

  #scrollToEnd(): void {
    if (!this.following) return;
    const log = this.parts()?.log;
    if (!log) return;
    log.scrollTop = log.scrollHeight;
    this.#knownScrollTop = log.scrollTop;
  }

  #observeEnd(): void {
    const parts = this.parts();
    if (!parts || parts.end === this.#observed) return;
    // Once per log element: the DOM adds the same listener only once.
    for (const type of ['keydown', 'wheel'])
      parts.log.addEventListener(type, this.#onScrollIntent, { passive: true });
    if (typeof IntersectionObserver === 'undefined') return;
    this.#observer?.disconnect();
    this.#observer = new IntersectionObserver(
      (entries, observer) => {
        // The reader may have scrolled since this was observed, before their
        // scroll event arrives: leave that to the scroll event.
        if (entries.at(-1)?.isIntersecting !== false || parts.log.scrollTop !== this.#knownScrollTop) return;
        // Runs after layout, so reading the scroll height here forces none.
        this.#scrollToEnd();
        // Observing afresh reports the marker's state after the next layout even if it is the
        // same "not intersecting" as now (the log grew again before the scroll was seen).
        observer.unobserve(parts.end);
        observer.observe(parts.end);
      },
      { root: parts.log },
    );
    this.#observer.observe(parts.end);
    this.#observed = parts.end;
  }
}
