/**
 * Joins the text a source produces within `windowMs` of the last delta into
 * one delta, so a fast model costs a frame per window instead of a frame per
 * token (PROTOCOL.md section 3: `seq` counts deltas, not tokens). Latency is
 * added only where nobody feels it: the first text of an answer, and text
 * after a pause longer than the window, go out at once; text that follows a
 * delta closely waits at most the rest of the window.
 */
export class DeltaWindow {
  private pending = '';
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly send: (text: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(text: string): void {
    if (text === '') return;
    this.pending += text;
    if (this.timer !== undefined) return; // already due at the end of the window
    const wait = this.lastSentAt + this.windowMs - this.now();
    if (wait <= 0) {
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
    this.send(text);
  }
}
