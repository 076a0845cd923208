/**
 * Reading a source (src/server/sources/stream-chunks.ts) and passes over its
 * chunks (chunk-pass.ts), for both kinds of source: one that is read
 * (`generate`) and one that pushes its chunks (`stream`). Whatever the kind,
 * the reader sees the same chunks, in order; a cancel stops the source and no
 * chunk reaches the reader after it; a chunk a pass refuses fails the answer
 * for every pass and stops the source.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PassEnd, passChunks } from '../../src/server/sources/chunk-pass.js';
import { streamChunks } from '../../src/server/sources/stream-chunks.js';
import type {
  ChatSource,
  GenerateRequest,
  GenerateResult,
  SourceChunk,
} from '../../src/server/sources/types.js';

const RESULT: GenerateResult = { finishReason: 'length', usage: null };

/** A source of `chunks`, one per event-loop turn; `state.stopped` says whether it ended before its last chunk. */
function source(
  kind: 'pull' | 'push',
  chunks: string[],
): { source: ChatSource; state: { stopped: boolean } } {
  const state = { stopped: false };
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  if (kind === 'pull') {
    return {
      state,
      source: {
        async *generate({ signal }: GenerateRequest) {
          let sent = 0;
          try {
            for (const chunk of chunks) {
              await turn();
              if (signal.aborted) break;
              yield chunk;
              sent++;
            }
            return RESULT;
          } finally {
            state.stopped = sent < chunks.length;
          }
        },
      },
    };
  }
  return {
    state,
    source: {
      async stream({ signal }: GenerateRequest, emit: (chunk: SourceChunk) => void) {
        for (const chunk of chunks) {
          await turn();
          if (signal.aborted) {
            state.stopped = true;
            break;
          }
          emit(chunk);
        }
        return RESULT;
      },
    },
  };
}

const request = (signal = new AbortController().signal): GenerateRequest => ({
  messages: [],
  params: {},
  signal,
});

for (const kind of ['pull', 'push'] as const) {
  describe(`streamChunks and passChunks, a ${kind} source`, () => {
    it('hands every chunk to the reader in order and settles with how the source ended', async () => {
      const seen: SourceChunk[] = [];
      const result = await streamChunks(source(kind, ['a', 'b', 'c']).source, request(), (c) => seen.push(c));
      assert.deepEqual(seen, ['a', 'b', 'c']);
      assert.deepEqual(result, RESULT);
    });

    it('passes run in order, each on what the one before passed on, and each hears the end once', async () => {
      const secondSaw: SourceChunk[] = [];
      const ends: string[] = [];
      const first = passChunks(source(kind, ['a', 'skip', 'b']).source, () => ({
        chunk: (c) => (c === 'skip' ? undefined : String(c).toUpperCase()),
        end: (end: PassEnd) => ends.push(`first ${end.how}`),
      }));
      const second = passChunks(first, () => ({
        chunk: (c) => {
          secondSaw.push(c);
          return `${String(c)}!`;
        },
        end: (end: PassEnd) =>
          ends.push(`second ${end.how} ${end.how === 'done' ? end.result.finishReason : ''}`),
      }));
      const seen: SourceChunk[] = [];
      const result = await streamChunks(second, request(), (c) => seen.push(c));
      assert.deepEqual(seen, ['A!', 'B!']);
      assert.deepEqual(secondSaw, ['A', 'B'], 'a chunk the first pass drops never reaches the second');
      assert.deepEqual(result, RESULT);
      assert.deepEqual(ends, ['first done', 'second done length']);
    });

    it('a refused chunk fails the answer for every pass and stops the source', async () => {
      const { source: inner, state } = source(kind, ['a', 'bad', 'c', 'd']);
      const ends: string[] = [];
      const first = passChunks(inner, () => ({
        chunk: (c) => {
          if (c === 'bad') throw new Error('refused');
          return c;
        },
        end: (end) => ends.push(`first ${end.how}`),
      }));
      const second = passChunks(first, () => ({
        chunk: (c) => c,
        end: (end) => ends.push(`second ${end.how}`),
      }));
      const seen: SourceChunk[] = [];
      await assert.rejects(
        streamChunks(second, request(), (c) => seen.push(c)),
        /refused/,
      );
      assert.deepEqual(seen, ['a']);
      assert.deepEqual(ends, ['first failed', 'second failed']);
      assert.equal(state.stopped, true, 'the source was stopped before its last chunk');
    });

    it('a chunk the reader refuses fails the answer and stops the source', async () => {
      const { source: inner, state } = source(kind, ['a', 'b', 'c']);
      await assert.rejects(
        streamChunks(inner, request(), (c) => {
          if (c === 'b') throw new Error('reader refused');
        }),
        /reader refused/,
      );
      assert.equal(state.stopped, true);
    });

    it('a chunk the reader refuses after passes fails the answer for every pass and stops the source', async () => {
      const { source: inner, state } = source(kind, ['a', 'b', 'c']);
      const ends: string[] = [];
      const passed = passChunks(inner, () => ({ chunk: (c) => c, end: (end) => ends.push(end.how) }));
      const seen: SourceChunk[] = [];
      await assert.rejects(
        streamChunks(passed, request(), (c) => {
          seen.push(c);
          if (c === 'b') throw new Error('reader refused');
        }),
        /reader refused/,
      );
      assert.deepEqual(seen, ['a', 'b']);
      assert.deepEqual(ends, ['failed']);
      assert.equal(state.stopped, true, 'the source was stopped before its last chunk');
    });

    it('after a cancel no chunk reaches the reader, the source stops, and every pass hears the end', async () => {
      const { source: inner, state } = source(kind, ['a', 'b', 'c', 'd']);
      const abort = new AbortController();
      const ends: string[] = [];
      const passed = passChunks(inner, () => ({ chunk: (c) => c, end: (end) => ends.push(end.how) }));
      const seen: SourceChunk[] = [];
      await streamChunks(passed, request(abort.signal), (c) => {
        seen.push(c);
        if (c === 'b') abort.abort();
      });
      assert.deepEqual(seen, ['a', 'b']);
      assert.equal(state.stopped, true);
      assert.deepEqual(ends, ['done'], 'the pass hears the end once; the signal says it was a cancel');
    });

    it('a source that throws at once fails the answer like one that rejects', async () => {
      const broken: ChatSource =
        kind === 'pull'
          ? {
              generate() {
                throw new Error('no model');
              },
            }
          : {
              stream() {
                throw new Error('no model');
              },
            };
      const ends: string[] = [];
      const passed = passChunks(broken, () => ({ chunk: (c) => c, end: (end) => ends.push(end.how) }));
      await assert.rejects(
        streamChunks(passed, request(), () => {}),
        /no model/,
      );
      assert.deepEqual(ends, ['failed']);
    });
  });
}

describe('streamChunks, a push source that misbehaves', () => {
  it('a chunk pushed after the source settled never reaches the reader', async () => {
    let late: ((chunk: SourceChunk) => void) | undefined;
    const seen: SourceChunk[] = [];
    await streamChunks(
      {
        async stream(_request, emit) {
          emit('a');
          late = emit;
          return RESULT;
        },
      },
      request(),
      (c) => seen.push(c),
    );
    late?.('too late');
    assert.deepEqual(seen, ['a']);
  });
});
