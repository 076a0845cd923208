import type { GenerateResult, SourceChunk } from './types.js';

type Chunks = AsyncGenerator<SourceChunk, GenerateResult, void>;
type Step = IteratorResult<SourceChunk, GenerateResult>;

/** How a pass saw its source end. */
export type PassEnd =
  | { how: 'done'; result: GenerateResult }
  | { how: 'failed'; error: unknown }
  /** The consumer stopped reading (a cancel, an interrupted answer). */
  | { how: 'closed' };

/** What a pass does to each chunk of a source, synchronously. */
export interface ChunkPass {
  /** The chunk to pass on in its place, or undefined to pass nothing on for it. May throw (the source fails). */
  chunk(chunk: SourceChunk): SourceChunk | undefined;
  /** Called once, however the source ended. */
  end?(end: PassEnd): void;
}

/**
 * `inner`'s chunks through `pass`, as a source's generator. A hand-written
 * iterator rather than an `async function*`: every chunk of every answer goes
 * through the server's passes (whole characters, metrics), and an async
 * generator costs each of them several promises and a resume per chunk; this
 * costs one `then`. A pass over passed chunks not yet read joins their
 * passes, so a chain of passes still costs one `then` per chunk: each pass
 * sees what the ones before it passed on, in order, and a chunk one of them
 * refuses fails the source for all of them (each pass's `end` says `failed`).
 */
export function passChunks(inner: Chunks, pass: ChunkPass): Chunks {
  if (inner instanceof PassedChunks && !inner.started) return inner.joined(pass);
  return new PassedChunks(inner, [pass]);
}

class PassedChunks implements Chunks {
  private ended = false;
  /** Whether a chunk was asked for: from then on another pass wraps this one instead of joining it. */
  started = false;

  constructor(
    private readonly inner: Chunks,
    private readonly passes: readonly ChunkPass[],
  ) {}

  /** The same source through these passes and then `pass`. */
  joined(pass: ChunkPass): PassedChunks {
    return new PassedChunks(this.inner, [...this.passes, pass]);
  }

  next(): Promise<Step> {
    this.started = true;
    if (this.ended) return Promise.resolve({ done: true, value: closedResult });
    return this.inner.next().then(this.onNext, this.onError);
  }

  async return(value: GenerateResult | PromiseLike<GenerateResult>): Promise<Step> {
    // Passes an early stop (cancel) on to the wrapped source.
    await this.inner.return(value).catch(() => {});
    this.end({ how: 'closed' });
    return { done: true, value: await value };
  }

  async throw(error: unknown): Promise<Step> {
    await this.inner.return(closedResult).catch(() => {});
    return this.onError(error);
  }

  [Symbol.asyncIterator](): Chunks {
    return this;
  }

  // Bound once per answer: `next` hands them to every chunk's `then`.
  private readonly onNext = (next: Step): Step | Promise<Step> => {
    if (next.done) {
      this.end({ how: 'done', result: next.value });
      return next;
    }
    let out: SourceChunk | undefined = next.value;
    try {
      const { passes } = this;
      for (let i = 0; i < passes.length && out !== undefined; i++) out = (passes[i] as ChunkPass).chunk(out);
    } catch (error) {
      // The chunk is refused: the answer fails, and the source is told to stop.
      void this.inner.return(closedResult).catch(() => {});
      return this.onError(error);
    }
    return out === undefined ? this.next() : { done: false, value: out };
  };

  private readonly onError = (error: unknown): never => {
    this.end({ how: 'failed', error });
    throw error;
  };

  private end(how: PassEnd): void {
    if (this.ended) return;
    this.ended = true;
    for (const pass of this.passes) pass.end?.(how);
  }
}

const closedResult: GenerateResult = { finishReason: 'stop', usage: null };
