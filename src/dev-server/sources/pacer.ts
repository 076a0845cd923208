/**
 * One timer for every stream a process paces. A timer per stream per token
 * wakes the process once per token, spread evenly over time: at a thousand
 * streams that is most of a core in timer and promise bookkeeping, and each
 * lone write wakes the reader again. The pacer rounds each due time up to a
 * tick of `tickMs` and runs everything due in a tick from one timer, so the
 * tokens of many streams go out together, each at most one tick late.
 */
export class Pacer {
  /** Callbacks by tick number (due time / tickMs, rounded up). */
  private readonly ticks = new Map<number, Array<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private timerTick = Number.POSITIVE_INFINITY;

  constructor(private readonly tickMs = 5) {}

  /**
   * The pacing of one stream, which calls `onTick` at the ticks it asks for
   * (see PacedStream). It owns the stream's one abort listener, so a
   * cancelled stream ends at once and leaves no callback or timer behind.
   */
  paced(signal: AbortSignal, onTick: () => void): PacedStream {
    return new PacedStream(this, signal, onTick);
  }

  /**
   * Calls `callback` once, at the first tick at or after `dueAt` (a
   * `performance.now()` time); returns that tick, which `cancel` takes. A
   * stream passes the same callback for each of its tokens, so pacing a token
   * allocates nothing but its place in the tick's list.
   */
  at(dueAt: number, callback: () => void): number {
    const tick = Math.ceil(dueAt / this.tickMs);
    const due = this.ticks.get(tick);
    if (due) due.push(callback);
    else this.ticks.set(tick, [callback]);
    if (tick < this.timerTick) this.schedule(tick);
    return tick;
  }

  /** Takes back a callback `at` put on `tick` (a cancelled stream); the pacer holds no timer once nothing is due. */
  cancel(tick: number, callback: () => void): void {
    const due = this.ticks.get(tick);
    const index = due?.indexOf(callback) ?? -1;
    if (!due || index < 0) return;
    due.splice(index, 1);
    if (due.length === 0) this.ticks.delete(tick);
    if (this.ticks.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerTick = Number.POSITIVE_INFINITY;
    }
  }

  private schedule(tick: number): void {
    clearTimeout(this.timer);
    this.timerTick = tick;
    this.timer = setTimeout(() => this.run(), Math.max(0, tick * this.tickMs - performance.now()));
  }

  private run(): void {
    this.timer = undefined;
    this.timerTick = Number.POSITIVE_INFINITY;
    // Node's timers run on a millisecond clock and may fire a fraction early: only ticks truly reached run.
    const now = Math.floor(performance.now() / this.tickMs);
    let next = Number.POSITIVE_INFINITY;
    for (const [tick, callbacks] of this.ticks) {
      if (tick > now) {
        if (tick < next) next = tick;
        continue;
      }
      this.ticks.delete(tick);
      for (const callback of callbacks) callback();
    }
    // Callbacks may have added ticks (and a timer) of their own: keep the earliest.
    if (next < this.timerTick) this.schedule(next);
  }
}

/**
 * One stream on a pacer. `until(dueAt)` has `onTick` called at the tick of
 * `dueAt` (one wait at a time; none once ended); `finish()` ends the stream,
 * and so does its signal's abort, which also takes the wait back. `done`
 * settles when it ended either way. `ended` is a plain field, read after each
 * token handed over (a reader may cancel from inside that call), where
 * `signal.aborted` is a getter.
 */
export class PacedStream {
  ended = false;
  readonly done: Promise<void>;
  private settle!: () => void;
  /** The tick the stream waits for (after it has run, cancelling it finds nothing: harmless). */
  private waitingTick: number | undefined;
  private readonly onAbort = (): void => this.finish();

  constructor(
    private readonly pacer: Pacer,
    private readonly signal: AbortSignal,
    private readonly onTick: () => void,
  ) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
    if (signal.aborted) this.finish();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  until(dueAt: number): void {
    if (!this.ended) this.waitingTick = this.pacer.at(dueAt, this.onTick);
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waitingTick !== undefined) this.pacer.cancel(this.waitingTick, this.onTick);
    this.signal.removeEventListener('abort', this.onAbort);
    this.settle();
  }
}
