/**
 * Decides whether the live block can be re-rendered as markdown within a
 * frame, or is shown as plain text until it is finished. The live block is
 * re-rendered in every frame it grows in, so its cost repeats: one that no
 * longer fits the frame budget (thousands of inline elements, e.g.
 * `**a**` repeated: about 25 µs per element in lexing, sanitizing and
 * layout) would make every frame long. Once finished, the block is rendered
 * once, as usual.
 *
 * The estimate is what the last two renders of this block cost per
 * character, the lower of the two (so one slow frame, e.g. a garbage
 * collection, does not decide, and a cost that grows faster than the block
 * is still followed); before the first render, a count of inline markers.
 */
import { FRAME_BUDGET_MS } from '../frame-loop.js';

/** A live render predicted to take longer than this shows the block as text instead. */
export const LIVE_RENDER_LIMIT_MS = FRAME_BUDGET_MS;
/** Blocks shorter than this are always rendered: they are cheap, and timing them is noise. */
const ALWAYS_RENDER_BELOW = 1024;
/** Before any render of a block: the cost of one inline marker (emphasis, code, link, table cell). */
const PRIOR_MS_PER_MARKER = 0.01;
const MARKERS = /[*_`~[<|]/g;

export class LiveRenderCost {
  /** ms per character of the last two renders of this block, newest last. */
  private samples: number[] = [];
  private tooSlow = false;

  /** A new block is live: forget what the last one cost. */
  reset(): void {
    this.samples = [];
    this.tooSlow = false;
  }

  /** Whether to render `raw` as markdown now; once false, false until `reset()`. */
  fits(raw: string): boolean {
    if (this.tooSlow) return false;
    if (raw.length < ALWAYS_RENDER_BELOW) return true;
    const predicted =
      this.samples.length === 0
        ? (raw.match(MARKERS)?.length ?? 0) * PRIOR_MS_PER_MARKER
        : Math.min(...this.samples) * raw.length;
    this.tooSlow = predicted > LIVE_RENDER_LIMIT_MS;
    return !this.tooSlow;
  }

  /** Rendering `raw` took `ms`. */
  record(raw: string, ms: number): void {
    if (raw.length < ALWAYS_RENDER_BELOW) return;
    this.samples = [this.samples.at(-1) ?? ms / raw.length, ms / raw.length];
  }
}
