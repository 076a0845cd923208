import type { GenerateRequest, GenerateResult, TokenSource } from './types.js';

/** Whether `code` is the first half of a UTF-16 surrogate pair. */
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * `source`, with every chunk ending on a whole character: a chunk that ends
 * in the first half of a surrogate pair (an emoji cut by a UTF-16 slice)
 * keeps that half back and sends it with the next chunk. JavaScript would
 * rejoin the halves, but a Python, Go or Rust client reads a lone surrogate
 * as an error (PROTOCOL.md section 3). A half with nothing after it is dropped.
 */
export function wholeCharacters(source: TokenSource): TokenSource {
  return {
    async *generate(request: GenerateRequest): AsyncGenerator<string, GenerateResult, void> {
      const inner = source.generate(request);
      let held = '';
      try {
        for (;;) {
          const next = await inner.next();
          if (next.done) return next.value;
          let text = held + next.value;
          held = '';
          if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
            held = text.slice(-1);
            text = text.slice(0, -1);
          }
          if (text !== '') yield text;
        }
      } finally {
        // Passes an early stop (cancel) on to the wrapped source.
        await inner.return({ finishReason: 'stop', usage: null }).catch(() => {});
      }
    },
  };
}
