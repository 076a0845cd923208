/**
 * The recent deltas of one assistant message, kept so a reconnecting client
 * can be sent exactly what it missed. Bounded by total characters: when full,
 * the oldest deltas are dropped, and a resume from before them gets a
 * snapshot of the whole text instead of a partial replay.
 */
export class DeltaLog {
  private readonly texts: string[] = [];
  /** Seq of texts[0]. */
  private firstSeq = 1;
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  /** Records delta `seq`; seqs must be appended in order, gapless. */
  append(seq: number, text: string): void {
    if (seq !== this.firstSeq + this.texts.length) {
      throw new Error(`DeltaLog: expected seq ${this.firstSeq + this.texts.length}, got ${seq}`);
    }
    this.texts.push(text);
    this.chars += text.length;
    while (this.chars > this.maxChars && this.texts.length > 0) {
      this.chars -= (this.texts.shift() as string).length;
      this.firstSeq++;
    }
  }

  /**
   * The deltas after `lastSeq` up to `upToSeq`, or undefined when some of
   * them are no longer kept (then the caller sends a snapshot).
   */
  after(lastSeq: number, upToSeq: number): { seq: number; text: string }[] | undefined {
    // A client ahead of the server cannot be patched up with deltas.
    if (lastSeq >= upToSeq) return lastSeq === upToSeq ? [] : undefined;
    const lastKept = this.firstSeq + this.texts.length - 1;
    if (lastSeq + 1 < this.firstSeq || upToSeq > lastKept) return undefined;
    const out: { seq: number; text: string }[] = [];
    for (let seq = lastSeq + 1; seq <= upToSeq; seq++) {
      out.push({ seq, text: this.texts[seq - this.firstSeq] as string });
    }
    return out;
  }

  /** Frees the deltas; later resumes get snapshots. */
  clear(): void {
    this.firstSeq += this.texts.length;
    this.texts.length = 0;
    this.chars = 0;
  }
}
