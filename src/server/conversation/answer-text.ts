/**
 * The text of an answer while it is being written, kept as bytes outside the
 * JavaScript heap.
 *
 * Joined as a string, each token becomes a string and a join node that live
 * until the text is next flattened, and each flattening copies the whole
 * text; all of it lives long enough to be moved to the old generation, where
 * it stays as garbage until a full collection. At 2,000 streams that was
 * most of what the server's heap grew by while streaming (the sampling heap
 * profiler: 58 % of it the flattened copies alone). Bytes appended to
 * typed-array blocks leave each token's string to die young, and nothing is
 * copied to grow.
 *
 * A message's `text` stays a string property to every reader: while the answer
 * grows it is an accessor whose string is made on first read after a change
 * (readers are rare: a welcome, a snapshot, a resume's replay). `settleText`
 * puts the plain string back once the answer has ended.
 */
class GrowingText {
  /**
   * The text's UTF-16 units in blocks, each one byte per unit while every
   * unit in it fits (Latin-1) and two from the first that does not. A new
   * block is half the text so far (1 K units to 16 K): room left over stays
   * under a third, and nothing is ever copied to grow, so no outgrown buffer
   * waits as garbage for a full collection.
   */
  private readonly blocks: Array<Uint8Array | Uint16Array> = [];
  /** Units used in the last block. */
  private used = 0;
  length = 0;
  private made: string | undefined;

  constructor(initial: string) {
    this.append(initial);
  }

  append(text: string): void {
    const n = text.length;
    if (n === 0) return;
    this.made = undefined;
    let block = this.blocks[this.blocks.length - 1];
    let at = this.used;
    for (let i = 0; i < n; i++) {
      if (block === undefined || at === block.length) {
        block = this.addBlock();
        at = 0;
      }
      const unit = text.charCodeAt(i);
      if (unit > 0xff && block instanceof Uint8Array) block = this.widenLast(at);
      block[at++] = unit;
    }
    this.used = at;
    this.length += n;
  }

  toString(): string {
    if (this.made === undefined) {
      let text = '';
      const last = this.blocks.length - 1;
      for (let i = 0; i <= last; i++) {
        const block = this.blocks[i] as Uint8Array | Uint16Array;
        const units = i === last ? this.used : block.length;
        const bytes = Buffer.from(block.buffer, block.byteOffset, units * block.BYTES_PER_ELEMENT);
        text += bytes.toString(block instanceof Uint8Array ? 'latin1' : 'utf16le');
      }
      this.made = text;
    }
    return this.made;
  }

  private addBlock(): Uint8Array {
    const block = new Uint8Array(Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, this.length >> 1)));
    this.blocks.push(block);
    return block;
  }

  /** The last block as two bytes per unit, from its first unit that needs them. */
  private widenLast(used: number): Uint16Array {
    const narrow = this.blocks[this.blocks.length - 1] as Uint8Array;
    const wide = new Uint16Array(narrow.length);
    wide.set(narrow.subarray(0, used));
    this.blocks[this.blocks.length - 1] = wide;
    return wide;
  }
}

const MIN_BLOCK = 1024;
const MAX_BLOCK = 16 * 1024;

/** The growing text of each message that has one; a copy of a message (a spread) has none, so never shares it. */
const growing = new WeakMap<object, GrowingText>();

type WithText = { text: string };

/** `text` while it grows: shared by every growing message, so one costs no functions of its own. */
const growingTextProperty: PropertyDescriptor = {
  get(this: WithText): string {
    return (growing.get(this) as GrowingText).toString();
  },
  // Replaced whole (a store's copy): the bytes start again from the new text.
  set(this: WithText, value: string): void {
    growing.set(this, new GrowingText(value));
  },
  enumerable: true,
  configurable: true,
};

/** From now on `m`'s text grows as bytes (see the file's comment) until `settleText(m)`. */
export function growText(m: WithText): void {
  if (growing.has(m)) return;
  growing.set(m, new GrowingText(m.text));
  Object.defineProperty(m, 'text', growingTextProperty);
}

/** Adds `text` to `m`'s text: to its bytes while it grows, else joined as strings are. */
export function appendText(m: WithText, text: string): void {
  const bytes = growing.get(m);
  if (bytes) bytes.append(text);
  else m.text += text;
}

/** The length of `m`'s text, without making the string of a growing one. */
export function textLength(m: WithText): number {
  return growing.get(m)?.length ?? m.text.length;
}

/** Ends the growing of `m`'s text: it becomes a plain string property again, and its bytes are freed. */
export function settleText(m: WithText): void {
  const bytes = growing.get(m);
  if (!bytes) return;
  growing.delete(m);
  Object.defineProperty(m, 'text', {
    value: bytes.toString(),
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
