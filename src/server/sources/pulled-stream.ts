import type { GenerateRequest, GenerateResult, PushTokenSource, SourceChunk } from './types.js';

/**
 * A push source's `stream` as a `generate`: the same chunks, to be read one
 * at a time. The server reads `stream` itself; this keeps the sources it
 * exports usable where a `TokenSource` is expected (code written before push
 * sources, or that reads a source directly). Chunks pushed while the reader
 * is busy wait in order; closing the generator early (`return`, a `break` in
 * `for await`) stops the source through its signal.
 */
export function pulledStream(
  stream: PushTokenSource['stream'],
): (request: GenerateRequest) => AsyncGenerator<SourceChunk, GenerateResult, void> {
  return async function* generate(request) {
    const { signal } = request;
    const own = new AbortController();
    const forward = (): void => own.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    const waiting: SourceChunk[] = [];
    let ended: { result: GenerateResult } | { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const woken = (): void => {
      wake?.();
      wake = undefined;
    };
    try {
      stream({ ...request, signal: own.signal }, (chunk) => {
        if (ended === undefined) waiting.push(chunk);
        woken();
      }).then(
        (result) => {
          ended = { result };
          woken();
        },
        (error: unknown) => {
          ended = { error };
          woken();
        },
      );
    } catch (error) {
      ended = { error };
    }
    try {
      for (;;) {
        const chunk = waiting.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (ended !== undefined) {
          if ('error' in ended) throw ended.error;
          return ended.result;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener('abort', forward);
      // Stops the source when the reader closed the generator before its end; harmless after it.
      own.abort();
    }
  };
}
