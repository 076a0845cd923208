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
 * costs one `then`.
 */
export function passChunks(inner: Chunks, pass: ChunkPass): Chunks {
  let ended = false;
  const end = (how: PassEnd): void => {
    if (ended) return;
    ended = true;
    pass.end?.(how);
  };
  const onError = (error: unknown): never => {
    end({ how: 'failed', error });
    throw error;
  };
  const onNext = (next: Step): Step | Promise<Step> => {
    if (next.done) {
      end({ how: 'done', result: next.value });
      return next;
    }
    let out: SourceChunk | undefined;
    try {
      out = pass.chunk(next.value);
    } catch (error) {
      // The chunk is refused: the answer fails, and the source is told to stop.
      void inner.return(closedResult).catch(() => {});
      return onError(error);
    }
    return out === undefined ? pull() : { done: false, value: out };
  };
  const pull = (): Promise<Step> =>
    ended ? Promise.resolve({ done: true, value: closedResult }) : inner.next().then(onNext, onError);
  const chunks: Chunks = {
    next: pull,
    async return(value) {
      // Passes an early stop (cancel) on to the wrapped source.
      await inner.return(value).catch(() => {});
      end({ how: 'closed' });
      return { done: true, value: await value };
    },
    async throw(error: unknown): Promise<Step> {
      await inner.return(closedResult).catch(() => {});
      return onError(error);
    },
    [Symbol.asyncIterator]() {
      return chunks;
    },
  };
  return chunks;
}

const closedResult: GenerateResult = { finishReason: 'stop', usage: null };
