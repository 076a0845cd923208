import { passChunks } from './chunk-pass.js';
import { sourcePartOf } from './source-parts.js';
import type { ChatSource, PushTokenSource } from './types.js';

/** Whether `code` is the first half of a UTF-16 surrogate pair. */
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * `source`, with every chunk ending on a whole character: a chunk that ends
 * in the first half of a surrogate pair (an emoji cut by a UTF-16 slice)
 * keeps that half back and sends it with the next chunk of the same part
 * (answer text and reasoning each keep their own). JavaScript would rejoin
 * the halves, but a Python, Go or Rust client reads a lone surrogate as an
 * error (PROTOCOL.md section 3). A half with nothing after it is dropped.
 * Typed parts are checked here (`sourcePartOf`): every source passes through.
 */
export function wholeCharacters(source: ChatSource): PushTokenSource {
  return passChunks(source, () => {
    const held = { text: '', reasoning: '' };
    return {
      chunk(chunk) {
        let kind: 'text' | 'reasoning' = 'text';
        let piece: string;
        if (typeof chunk === 'string') piece = chunk;
        else {
          const part = sourcePartOf(chunk);
          if (part.type !== 'text' && part.type !== 'reasoning') return part;
          kind = part.type;
          piece = part.text;
        }
        let text = held[kind] + piece;
        held[kind] = '';
        if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
          held[kind] = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text === '') return undefined;
        // Answer text stays a plain string: the common case costs what it did before parts.
        return kind === 'text' ? text : { type: 'reasoning', text };
      },
    };
  });
}
