import { bodySize, carriesPart, type DeltaBody } from './message-parts.js';

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
 *
 * A delta of answer text alone, nearly every delta, is kept as where its
 * text ends in the message's text: the message already holds that text, and
 * a number costs a few bytes where a string and its object cost a hundred
 * (a thousand streaming answers hold megabytes less). Now and then the
 * message's text is flattened, so the tokens it was joined from are freed.
 */
export class ReplayLog {
  /** A text-only delta as the end of its text in the message's text; any other delta as its body. */
  private entries: Array<number | DeltaBody> = [];
  /** Where the first kept delta's text starts in the message's text (while empty: where the next one's will). */
  private firstStart: number;
  /** The message's text length after the last delta recorded: if the text changed otherwise, nothing is replayed. */
  private textEnd: number;
  private chars = 0;

  /**
   * `message`: the answer whose text each appended delta has been added to.
   * `firstSeq`: the seq the next `append` must carry when the log is empty.
   */
  constructor(
    private readonly maxChars: number,
    private readonly message: { readonly text: string },
    private firstSeq = 1,
  ) {
    this.firstStart = message.text.length;
    this.textEnd = message.text.length;
  }

  get nextSeq(): number {
    return this.firstSeq + this.entries.length;
  }

  /** Records delta `seq`, already added to the message's text; seqs must be appended in order, gapless. */
  append(seq: number, body: DeltaBody): void {
    if (seq !== this.nextSeq) throw new Error(`ReplayLog: expected seq ${this.nextSeq}, got ${seq}`);
    const text = this.message.text;
    // The text changed other than by these deltas (a store's copy replaced it): the kept ones no longer describe it.
    if (text.length - body.text.length !== this.textEnd) this.clear();
    if (this.entries.length === 0) this.firstStart = text.length - body.text.length;
    this.entries.push(carriesPart(body) ? body : text.length);
    this.textEnd = text.length;
    this.chars += bodySize(body);
    // Reading a character flattens the text in place (V8): the joined tokens become one string.
    if (seq % (text.length < LONG_TEXT ? 16 : 64) === 0) text.charCodeAt(0);
    while (this.chars > this.maxChars && this.entries.length > 0) {
      const first = this.entries.shift() as number | DeltaBody;
      const length = typeof first === 'number' ? first - this.firstStart : first.text.length;
      this.chars -= typeof first === 'number' ? length : bodySize(first);
      this.firstStart += length;
      this.firstSeq++;
    }
  }

  /** Adds older deltas (from the store) in front, as far as they join up and fit. */
  prepend(deltas: readonly LoggedDelta[]): void {
    const older = deltas.filter((d) => d.seq < this.firstSeq).sort((a, b) => b.seq - a.seq);
    for (const d of older) {
      const size = bodySize(d.body);
      if (d.seq !== this.firstSeq - 1 || this.chars + size > this.maxChars) return;
      this.entries.unshift(d.body);
      this.chars += size;
      this.firstStart -= d.body.text.length;
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
    const text = this.message.text;
    if (text.length !== this.textEnd) return undefined;
    const out: LoggedDelta[] = [];
    let start = this.firstStart;
    for (let seq = this.firstSeq; seq < this.nextSeq; seq++) {
      const entry = this.entries[seq - this.firstSeq] as number | DeltaBody;
      const end = typeof entry === 'number' ? entry : start + entry.text.length;
      if (seq > lastSeq && seq <= upToSeq) {
        out.push({ seq, body: typeof entry === 'number' ? { text: text.slice(start, end) } : entry });
      }
      start = end;
    }
    // The kept deltas must account for the text exactly; if not, a snapshot is the exact answer.
    return start === this.textEnd ? out : undefined;
  }

  /** Frees the deltas; later resumes get snapshots. */
  clear(): void {
    this.firstSeq += this.entries.length;
    this.entries = [];
    this.chars = 0;
  }
}

/**
 * Each flattening copies the whole text: a short one is flattened every 16
 * deltas, one past this length every 64, so the copying stays a few hundred
 * bytes per delta.
 */
const LONG_TEXT = 16_384;
