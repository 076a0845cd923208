import { GUARDS_ITS_EMIT, streamChunks } from './stream-chunks.js';
import type { ChatSource, GenerateRequest, GenerateResult, PushTokenSource, SourceChunk } from './types.js';

/** How a pass saw its source end. */
export type PassEnd = { how: 'done'; result: GenerateResult } | { how: 'failed'; error: unknown };

/** What a pass does to each chunk of a source, synchronously. */
export interface ChunkPass {
  /** The chunk to pass on in its place, or undefined to pass nothing on for it. May throw (the source fails). */
  chunk(chunk: SourceChunk): SourceChunk | undefined;
  /** Called once, however the source ended (a stopped one ends `done`; its signal says it was stopped). */
  end?(end: PassEnd): void;
}

/**
 * `source` with a pass applied to each chunk of each answer (`passFor` makes
 * an answer's pass when it starts), as a push source: a chunk goes through
 * every pass and on to the reader in one synchronous call, where a chain of
 * async generators would cost each chunk several promises per pass. Passes
 * over passes join into one list run in a loop, so a chunk crosses one
 * reader whatever their number. A chunk a pass refuses (throws) fails the
 * answer and stops the source; every pass hears how the source ended, in order.
 */
export function passChunks(
  source: ChatSource,
  passFor: (request: GenerateRequest) => ChunkPass,
): PushTokenSource {
  return source instanceof PassedSource
    ? new PassedSource(source.inner, [...source.passFors, passFor])
    : new PassedSource(source, [passFor]);
}

class PassedSource implements PushTokenSource {
  // Its `emit` is the sink of the `streamChunks` that reads the inner source, which guards it.
  readonly [GUARDS_ITS_EMIT] = true;

  constructor(
    readonly inner: ChatSource,
    readonly passFors: ReadonlyArray<(request: GenerateRequest) => ChunkPass>,
  ) {}

  stream(request: GenerateRequest, emit: (chunk: SourceChunk) => void): Promise<GenerateResult> {
    const passes = this.passFors.map((passFor) => passFor(request));
    const end = (how: PassEnd): void => {
      for (const pass of passes) pass.end?.(how);
    };
    return streamChunks(this.inner, request, (chunk) => {
      let out: SourceChunk | undefined = chunk;
      for (let i = 0; i < passes.length && out !== undefined; i++) out = (passes[i] as ChunkPass).chunk(out);
      if (out !== undefined) emit(out);
    }).then(
      (result) => {
        end({ how: 'done', result });
        return result;
      },
      (error: unknown) => {
        end({ how: 'failed', error });
        throw error;
      },
    );
  }
}
