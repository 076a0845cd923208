/**
 * The recent deltas of one answer, kept so a reconnecting client can be sent
 * exactly what it missed: what this process generated or followed, plus
 * (for a store whose deltas live elsewhere) older deltas read back for a
 * resume. Holds a contiguous run of seqs, at most `maxChars` characters:
 * when full, the oldest deltas are dropped, and a resume from before them
 * gets a snapshot of the whole text instead of a partial replay.
 */
export class ReplayLog {
  private texts: string[] = [];
  private chars = 0;

  /** `firstSeq`: the seq the next `append` must carry when the log is empty. */
  constructor(
    private readonly maxChars: number,
    private firstSeq = 1,
  ) {}

  get nextSeq(): number {
    return this.firstSeq + this.texts.length;
  }

  /** Records delta `seq`; seqs must be appended in order, gapless. */
  append(seq: number, text: string): void {
    if (seq !== this.nextSeq) throw new Error(`ReplayLog: expected seq ${this.nextSeq}, got ${seq}`);
    this.texts.push(text);
    this.chars += text.length;
    while (this.chars > this.maxChars && this.texts.length > 0) {
      this.chars -= (this.texts.shift() as string).length;
      this.firstSeq++;
    }
  }

  /** Adds older deltas (from the store) in front, as far as they join up and fit. */
  prepend(deltas: readonly { seq: number; text: string }[]): void {
    const older = deltas.filter((d) => d.seq < this.firstSeq).sort((a, b) => b.seq - a.seq);
    for (const d of older) {
      if (d.seq !== this.firstSeq - 1 || this.chars + d.text.length > this.maxChars) return;
      this.texts.unshift(d.text);
      this.chars += d.text.length;
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
  after(lastSeq: number, upToSeq: number): { seq: number; text: string }[] | undefined {
    // A client ahead of the server cannot be patched up with deltas.
    if (lastSeq >= upToSeq) return lastSeq === upToSeq ? [] : undefined;
    if (lastSeq + 1 < this.firstSeq || upToSeq >= this.nextSeq) return undefined;
    const out: { seq: number; text: string }[] = [];
    for (let seq = lastSeq + 1; seq <= upToSeq; seq++) {
      out.push({ seq, text: this.texts[seq - this.firstSeq] as string });
    }
    return out;
  }

  /** Frees the deltas; later resumes get snapshots. */
  clear(): void {
    this.firstSeq += this.texts.length;
    this.texts = [];
    this.chars = 0;
  }
}
