/** Blocks shown as plain text: appended in fixed-size chunks, so layout stays cheap however long they grow. */

/** Plain-text blocks are split into chunks of this many characters, so appending lays out only the last chunk. */
const PLAIN_CHUNK = 4096;
/** Of the chunks one update fills, this many at its end are laid out before they close (see PlainBlock.update). */
const OPEN_CHUNKS = 2;
/** The class of full sections and chunks, which the browser may skip while off screen. */
export const CLOSED = 'md-closed';

/** A block shown as plain text, appended chunk by chunk. */
export class PlainBlock {
  readonly root: HTMLElement;
  private shown = 0;
  private last: HTMLElement | undefined;

  /** `onFull`: a chunk is full (it will not grow unless the text is cut back). */
  constructor(private readonly onFull: (chunk: HTMLElement) => void) {
    this.root = document.createElement('div');
    this.root.className = 'md-plain';
  }

  /** Shows `text`, which extends what is shown or is a prefix of it. */
  update(text: string): void {
    if (text.length < this.shown) this.truncate(text.length);
    const filled: HTMLElement[] = [];
    while (this.shown < text.length) {
      if (!this.last || (this.last.textContent?.length ?? 0) >= PLAIN_CHUNK) {
        if (this.last) filled.push(this.last);
        this.last = document.createElement('span');
        this.root.append(this.last);
      }
      const room = PLAIN_CHUNK - (this.last.firstChild ? (this.last.firstChild as Text).length : 0);
      const piece = text.slice(this.shown, this.shown + room);
      if (this.last.firstChild) (this.last.firstChild as Text).appendData(piece);
      else this.last.append(piece);
      this.shown += piece.length;
    }
    // Chunks filled by this call well above its end are off screen: close them now, before the
    // browser lays them out (shaping a megabyte of text in one frame took hundreds of ms). They
    // get a placeholder height until first scrolled to. The last ones close a frame later.
    filled.forEach((chunk, i) => {
      if (i < filled.length - OPEN_CHUNKS) chunk.classList.add(CLOSED);
      else this.onFull(chunk);
    });
  }

  private truncate(length: number): void {
    this.last = truncateChunks(this.root, this.shown, length);
    this.shown = length;
  }
}

/** Drops what is shown past `length`, from the end. */
function truncateChunks(root: HTMLElement, shown: number, length: number): HTMLElement | undefined {
  let over = shown - length;
  let last = root.lastElementChild as HTMLElement | null;
  while (last && over > 0) {
    const text = last.firstChild as Text | null;
    const size = text?.length ?? 0;
    if (size <= over) {
      over -= size;
      last.remove();
      last = root.lastElementChild as HTMLElement | null;
    } else {
      text?.deleteData(size - over, over);
      over = 0;
    }
  }
  return last ?? undefined;
}
