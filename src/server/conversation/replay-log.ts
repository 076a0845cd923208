import { textLength } from './answer-text.js';
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
 * A delta of answer text alone, nearly every delta, is kept as the length of
 * its text, two bytes in a typed array: the message already holds that text
 * in order, so the lengths cut it back into its deltas. A string and its
 * object cost a hundred bytes, and even a number in a plain array costs
 * eight: for tokens of four characters, twice what their text costs. (The
 * message's text grows as bytes while the answer streams, answer-text.ts,
 * so nothing here has to keep its joined tokens from piling up.)
 */
export class ReplayLog {
  /**
   * The kept deltas, oldest first, from index `head`: a text-only delta as
   * its text's length, any other as WHOLE (kept in `wholes`: a delta with a
   * part, or one whose text is too long for a slot).
   */
  private lengths = new Uint16Array(INITIAL_SLOTS);
  private head = 0;
  private count = 0;
  /** The deltas kept whole, by seq (made at the first: most answers have none). */
  private wholes: Map<number, DeltaBody> | undefined;
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
    this.firstStart = textLength(message);
    this.textEnd = this.firstStart;
  }

  get nextSeq(): number {
    return this.firstSeq + this.count;
  }

  /** Records delta `seq`, already added to the message's text; seqs must be appended in order, gapless. */
  append(seq: number, body: DeltaBody): void {
    if (seq !== this.nextSeq) throw new Error(`ReplayLog: expected seq ${this.nextSeq}, got ${seq}`);
    const length = textLength(this.message);
    // The text changed other than by these deltas (a store's copy replaced it): the kept ones no longer describe it.
    if (length - body.text.length !== this.textEnd) this.clear();
    if (this.count === 0) this.firstStart = length - body.text.length;
    if (this.head + this.count === this.lengths.length) this.moveTo(0);
    this.lengths[this.head + this.count] = this.slotFor(seq, body);
    this.count++;
    this.textEnd = length;
    this.chars += bodySize(body);
    while (this.chars > this.maxChars && this.count > 0) {
      const slot = this.lengths[this.head] as number;
      const whole = this.wholeAt(this.firstSeq, slot);
      this.chars -= whole ? bodySize(whole) : slot;
      this.firstStart += whole ? whole.text.length : slot;
      if (whole) this.wholes?.delete(this.firstSeq);
      this.head++;
      this.count--;
      this.firstSeq++;
    }
  }

  /** Adds older deltas (from the store) in front, as far as they join up and fit. */
  prepend(deltas: readonly LoggedDelta[]): void {
    const older = deltas.filter((d) => d.seq < this.firstSeq).sort((a, b) => b.seq - a.seq);
    for (const d of older) {
      const size = bodySize(d.body);
      if (d.seq !== this.firstSeq - 1 || this.chars + size > this.maxChars) return;
      if (this.head === 0) this.moveTo(older.length);
      this.head--;
      this.count++;
      this.lengths[this.head] = this.slotFor(d.seq, d.body);
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
      const slot = this.lengths[this.head + seq - this.firstSeq] as number;
      const whole = this.wholeAt(seq, slot);
      const end = start + (whole ? whole.text.length : slot);
      if (seq > lastSeq && seq <= upToSeq) out.push({ seq, body: whole ?? { text: text.slice(start, end) } });
      start = end;
    }
    // The kept deltas must account for the text exactly; if not, a snapshot is the exact answer.
    return start === this.textEnd ? out : undefined;
  }

  /** Frees the deltas; later resumes get snapshots. */
  clear(): void {
    this.firstSeq += this.count;
    this.lengths = new Uint16Array(INITIAL_SLOTS);
    this.head = 0;
    this.count = 0;
    this.wholes = undefined;
    this.chars = 0;
  }

  /** What delta `seq`'s slot holds: its text's length, or WHOLE (the delta is then kept in `wholes`). */
  private slotFor(seq: number, body: DeltaBody): number {
    if (!carriesPart(body) && body.text.length < WHOLE) return body.text.length;
    this.wholes ??= new Map();
    this.wholes.set(seq, body);
    return WHOLE;
  }

  /** The delta `seq` whose slot is `slot`, when it is kept whole; undefined for a text-only delta. */
  private wholeAt(seq: number, slot: number): DeltaBody | undefined {
    return slot === WHOLE ? (this.wholes?.get(seq) as DeltaBody) : undefined;
  }

  /** Moves the kept slots to start at `head`, with at least one free slot after them, growing the array as needed. */
  private moveTo(head: number): void {
    const needed = head + this.count + 1;
    const from = this.lengths;
    // A quarter free at least, so appends and drops move the slots now and then, not at every delta.
    if (needed > from.length * 0.75) this.lengths = new Uint16Array(Math.ceil(needed * 1.5));
    if (this.lengths === from) from.copyWithin(head, this.head, this.head + this.count);
    else this.lengths.set(from.subarray(this.head, this.head + this.count), head);
    this.head = head;
  }
}

/** A slot's mark for a delta kept whole; also the least text length too long for a slot. */
const WHOLE = 0xffff;

/** Slots a log starts with (two bytes each). */
const INITIAL_SLOTS = 32;
