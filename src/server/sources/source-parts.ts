/**
 * What a source yields, checked once where every source passes
 * (`wholeCharacters`): a string is answer text; a typed part must have the
 * fields PROTOCOL.md section 16 gives it, or the answer fails with a clear
 * error instead of sending a client a frame it must refuse.
 */
import * as v from 'valibot';
import { MAX_ID_LENGTH, ToolStatusSchema } from '../../protocol/index.js';
import type { SourceChunk, SourcePart } from './types.js';

const Line = v.string();
const SourcePartSchema = v.variant('type', [
  v.object({ type: v.literal('text'), text: v.string() }),
  v.object({ type: v.literal('reasoning'), text: v.string() }),
  v.object({
    type: v.literal('tool'),
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH)),
    name: Line,
    label: Line,
    status: ToolStatusSchema,
    summary: v.optional(Line),
  }),
  v.object({ type: v.literal('source'), title: Line, url: Line, snippet: v.optional(Line) }),
]);

/** A lone UTF-16 surrogate: a client in another language reads it as an error (PROTOCOL.md section 3). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\ufffd');

/** `chunk` as a typed part; throws a TypeError naming the problem when it is not one. */
export function sourcePartOf(chunk: SourceChunk): SourcePart {
  if (typeof chunk === 'string') return { type: 'text', text: chunk };
  const result = v.safeParse(SourcePartSchema, chunk);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new TypeError(`the source yielded an invalid part${path ? ` at ${path}` : ''}: ${issue.message}`);
  }
  const part = result.output;
  if (part.type === 'tool') {
    return {
      ...part,
      name: wellFormed(part.name),
      label: wellFormed(part.label),
      ...(part.summary === undefined ? {} : { summary: wellFormed(part.summary) }),
    };
  }
  if (part.type === 'source') {
    return {
      ...part,
      title: wellFormed(part.title),
      url: wellFormed(part.url),
      ...(part.snippet === undefined ? {} : { snippet: wellFormed(part.snippet) }),
    };
  }
  return part;
}

/** Characters of model output in a chunk (for metrics). */
export function chunkLength(chunk: SourceChunk): number {
  if (typeof chunk === 'string') return chunk.length;
  return chunk.type === 'text' || chunk.type === 'reasoning' ? chunk.text.length : 0;
}
