import type { ChatSource, GenerateRequest, GenerateResult, SourceChunk, TokenSource } from './types.js';

/** What reading a source hands each chunk to; it may throw to refuse the chunk (the answer fails). */
export type ChunkSink = (chunk: SourceChunk) => void;

/**
 * Marks a push source whose `stream` already treats its `emit` as this file
 * treats a sink (a pass over another source read with `streamChunks`,
 * chunk-pass.ts): an `emit` that throws stops the source and rejects with its
 * error, and nothing reaches `emit` once the signal aborted. Such a source is
 * streamed as it is, without another abort controller and listener for each
 * answer (about a kilobyte each, for as long as the answer streams).
 */
export const GUARDS_ITS_EMIT: unique symbol = Symbol('guardsItsEmit');

/** How an answer stopped early is reported by the source reader (the caller knows why from its signal). */
const STOPPED: GenerateResult = { finishReason: 'stop', usage: null };

/**
 * Runs `source` for `request`, handing each chunk to `sink` as it comes, and
 * settles as the source does: with how the answer ended, or rejected when the
 * source failed or `sink` refused a chunk. Either kind of source: a push
 * source's chunks reach `sink` from its own callbacks, a pull source
 * (`generate`) is read one chunk at a time. Once `request.signal` aborts,
 * no chunk reaches `sink`; the returned promise settles when the source has
 * stopped (a pull source is closed, so its `finally` blocks run; a push source
 * sees the signal), so a generation is counted until its model call ended.
 * A refused chunk stops the source the same way, and the answer fails with
 * the sink's error.
 */
export function streamChunks(
  source: ChatSource,
  request: GenerateRequest,
  sink: ChunkSink,
): Promise<GenerateResult> {
  try {
    if (!('stream' in source)) return pulled(source, request, sink);
    return GUARDS_ITS_EMIT in source
      ? source.stream(request, sink)
      : pushed(source.stream.bind(source), request, sink);
  } catch (error) {
    // A source that throws before its first chunk fails the answer like one that rejects.
    return Promise.reject(error);
  }
}

async function pulled(
  source: TokenSource,
  request: GenerateRequest,
  sink: ChunkSink,
): Promise<GenerateResult> {
  const chunks = source.generate(request);
  for (;;) {
    const next = await chunks.next();
    if (next.done) return next.value;
    if (request.signal.aborted) break;
    try {
      sink(next.value);
    } catch (error) {
      await chunks.return(STOPPED).catch(() => {});
      throw error;
    }
  }
  // Closing the generator lets the source release its upstream request.
  await chunks.return(STOPPED).catch(() => {});
  return STOPPED;
}

function pushed(
  stream: (request: GenerateRequest, emit: ChunkSink) => Promise<GenerateResult>,
  request: GenerateRequest,
  sink: ChunkSink,
): Promise<GenerateResult> {
  const { signal } = request;
  // The source's own signal: aborted with the caller's, or when the sink refuses a chunk.
  const own = new AbortController();
  // Plain flags, not `signal.aborted`: a getter per chunk shows in a profile at a thousand streams.
  let closed = false;
  let refused: { error: unknown } | undefined;
  const forward = (): void => {
    closed = true;
    own.abort(signal.reason);
  };
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  const emit = (chunk: SourceChunk): void => {
    if (closed) return;
    try {
      sink(chunk);
    } catch (error) {
      // Never thrown into the source's callback: the source is stopped, and the answer fails with this error.
      closed = true;
      refused = { error };
      own.abort(error);
    }
  };
  const done = (): void => {
    closed = true;
    signal.removeEventListener('abort', forward);
  };
  return stream({ ...request, signal: own.signal }, emit).then(
    (result) => {
      done();
      if (refused) throw refused.error;
      return result;
    },
    (error: unknown) => {
      done();
      throw refused ? refused.error : error;
    },
  );
}
