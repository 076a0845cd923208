import { bodySize, type DeltaBody } from './message-parts.js';

/** One kept delta. */
export interface LoggedDelta {
  seq: number;
  body: DeltaBody;
}

/**
 * The recent deltas of one answer, kept so a reconnecting client can be sent
 * exactly what it missed: what this process generated or followed, plus
 * (for a store whose deltas live elsewhere) older deltas read back for a
 * resume. Every part counts (reasoning as text does). Holds a contiguous run
 * of seqs, at most `maxChars` characters:
 * when full, the oldest deltas are dropped, and a resume from before them
 * gets a snapshot of the whole text instead of a partial replay.
 */
export class ReplayLog {
  private bodies: DeltaBody[] = [];
  private chars = 0;

  /** `firstSeq`: the seq the next `append` must carry when the log is empty. */
  constructor(
    private readonly maxChars: number,
    private firstSeq = 1,
  ) {}

  get nextSeq(): number {
    return this.firstSeq + this.bodies.length;
  }

  /** Records delta `seq`; seqs must be appended in order, gapless. */
  append(seq: number, body: DeltaBody): void {
    if (seq !== this.nextSeq) throw new Error(`ReplayLog: expected seq ${this.nextSeq}, got ${seq}`);
    this.bodies.push(body);
    this.chars += bodySize(body);
    while (this.chars > this.maxChars && this.bodies.length > 0) {
      this.chars -= bodySize(this.bodies.shift() as DeltaBody);
      this.firstSeq++;
    }
  }

  /** Adds older deltas (from the store) in front, as far as they join up and fit. */
  prepend(deltas: readonly LoggedDelta[]): void {
    const older = deltas.filter((d) => d.seq < this.firstSeq).sort((a, b) => b.seq - a.seq);
    for (const d of older) {
      const size = bodySize(d.body);
      if (d.seq !== this.firstSeq - 1 || this.chars + size > this.maxChars) return;
      this.bodies.unshift(d.body);
      this.chars += size;
      this.firstSeq--;
    }
  }

  /** Whether the deltas right after `lastSeq` are still kept (or are yet to come). */
  covers(lastSeq: number): boolean {
    return lastSeq + 1 >= this.firstSeq;
  }

  /**
   * The deltas after `lastSeq` up to `upToSeq`, or undefined when some of
   * them are no longer kept (then the caller sends a snapshot).
   */
  after(lastSeq: number, upToSeq: number): LoggedDelta[] | undefined {
    // A client ahead of the server cannot be patched up with deltas.
    if (lastSeq >= upToSeq) return lastSeq === upToSeq ? [] : undefined;
    if (lastSeq + 1 < this.firstSeq || upToSeq >= this.nextSeq) return undefined;
    const out: LoggedDelta[] = [];
    for (let seq = lastSeq + 1; seq <= upToSeq; seq++) {
      out.push({ seq, body: this.bodies[seq - this.firstSeq] as DeltaBody });
    }
    return out;
  }

  /** Frees the deltas; later resumes get snapshots. */
  clear(): void {
    this.firstSeq += this.bodies.length;
    this.bodies = [];
    this.chars = 0;
  }
}
