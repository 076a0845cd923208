import type { SourceChunk, SourcePart } from '../sources/types.js';

type Flowing = 'text' | 'reasoning';

/**
 * Joins the text a fast source produces within `windowMs` of the last delta
 * into one delta, so a fast model costs a frame per window instead of a frame
 * per token (PROTOCOL.md section 3: `seq` counts deltas, not tokens).
 *
 * Latency is added only where nobody feels it: the first text of an answer,
 * text after a pause longer than the window, the first text of another part
 * (the answer after the reasoning), and every token of a source that is on
 * average slower than one token per window go out at once. Only a source
 * that keeps producing faster than that (a fast model, a burst) is held, and
 * for at most the rest of the window. Holding a slow source's occasional pair
 * of close tokens would save one frame and cost the second token the window
 * plus the timer's lateness, which on a busy server is far more than 16 ms.
 *
 * One delta carries one part (PROTOCOL.md section 16): answer text and
 * reasoning join only with their own kind, and a tool step or a source goes
 * out at once, after what waited before it.
 */
export class DeltaWindow {
  private pending = '';
  private pendingKind: Flowing = 'text';
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastPushAt = Number.NEGATIVE_INFINITY;
  /** Moving average of the time between tokens; it starts slow, so the first tokens are never held. */
  private averageGapMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly send: (part: SourcePart) => void,
    private readonly now: () => number = monotonicNow,
  ) {
    this.averageGapMs = 2 * windowMs;
  }

  push(chunk: SourceChunk): void {
    let kind: Flowing = 'text';
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk.type === 'text' || chunk.type === 'reasoning') {
      kind = chunk.type;
      text = chunk.text;
    } else {
      this.flush();
      this.lastSentAt = this.now();
      this.send(chunk);
      return;
    }
    if (text === '') return;
    const now = this.now();
    if (this.lastPushAt !== Number.NEGATIVE_INFINITY) {
      this.averageGapMs += (now - this.lastPushAt - this.averageGapMs) * GAP_WEIGHT;
    }
    this.lastPushAt = now;
    if (kind !== this.pendingKind) {
      // The reasoning ends and the answer begins (or the other way): both show at once.
      this.flush();
      this.pendingKind = kind;
      this.pending = text;
      this.flush();
      return;
    }
    this.pending += text;
    if (this.timer !== undefined) return; // already due at the end of the window
    const wait = this.lastSentAt + this.windowMs - now;
    if (wait <= 0 || this.averageGapMs >= this.windowMs) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Sends what waits now (before the answer's end, or when it is cut short). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.lastSentAt = this.now();
    this.send({ type: this.pendingKind, text });
  }
}

/** One clock for every window (a default parameter's arrow would be a closure per answer). */
const monotonicNow = (): number => performance.now();

/** Weight of the newest gap in the average: a source that turns fast is held from about its fourth token. */
const GAP_WEIGHT = 0.25;
