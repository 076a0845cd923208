/**
 * Passes over a source's chunks (src/server/sources/chunk-pass.ts): a pass
 * over passed chunks joins their passes (one `then` per chunk however many),
 * and behaves as passes applied one after the other: each sees what the ones
 * before it passed on, every pass hears how the source ended, and a chunk a
 * pass refuses fails the answer and stops the source.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PassEnd, passChunks } from '../../src/server/sources/chunk-pass.js';
import type { GenerateResult, SourceChunk } from '../../src/server/sources/types.js';

const RESULT: GenerateResult = { finishReason: 'length', usage: null };

/** A source of `chunks`; `stopped` says whether it was told to stop early. */
function source(chunks: string[]) {
  const state = { stopped: false };
  async function* generate(): AsyncGenerator<SourceChunk, GenerateResult, void> {
    try {
      for (const chunk of chunks) yield chunk;
      return RESULT;
    } finally {
      state.stopped = true;
    }
  }
  return { chunks: generate(), state };
}

async function readAll(chunks: AsyncGenerator<SourceChunk, GenerateResult, void>) {
  const seen: SourceChunk[] = [];
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { seen, result: next.value };
    seen.push(next.value);
  }
}

describe('passChunks', () => {
  it('joined passes run in order, each on what the one before passed on', async () => {
    const { chunks } = source(['a', 'skip', 'b']);
    const secondSaw: SourceChunk[] = [];
    const ends: string[] = [];
    const first = passChunks(chunks, {
      chunk: (c) => (c === 'skip' ? undefined : String(c).toUpperCase()),
      end: (end: PassEnd) => ends.push(`first ${end.how}`),
    });
    const second = passChunks(first, {
      chunk: (c) => {
        secondSaw.push(c);
        return `${String(c)}!`;
      },
      end: (end: PassEnd) =>
        ends.push(`second ${end.how} ${end.how === 'done' ? end.result.finishReason : ''}`),
    });
    const { seen, result } = await readAll(second);
    assert.deepEqual(seen, ['A!', 'B!']);
    assert.deepEqual(secondSaw, ['A', 'B'], 'a chunk the first pass drops never reaches the second');
    assert.deepEqual(result, RESULT);
    assert.deepEqual(ends, ['first done', 'second done length'], 'each pass hears the end once, in order');
  });

  it('a refused chunk fails the answer for every pass and stops the source', async () => {
    const { chunks, state } = source(['a', 'bad', 'c']);
    const ends: string[] = [];
    const first = passChunks(chunks, {
      chunk: (c) => {
        if (c === 'bad') throw new Error('refused');
        return c;
      },
      end: (end) => ends.push(`first ${end.how}`),
    });
    const second = passChunks(first, { chunk: (c) => c, end: (end) => ends.push(`second ${end.how}`) });
    assert.deepEqual(await second.next(), { done: false, value: 'a' });
    await assert.rejects(second.next(), /refused/);
    assert.deepEqual(ends, ['first failed', 'second failed']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(state.stopped, true, 'the source was told to stop');
  });

  it('an early stop reaches the source and every pass', async () => {
    const { chunks, state } = source(['a', 'b', 'c']);
    const ends: string[] = [];
    const first = passChunks(chunks, { chunk: (c) => c, end: (end) => ends.push(`first ${end.how}`) });
    const second = passChunks(first, { chunk: (c) => c, end: (end) => ends.push(`second ${end.how}`) });
    assert.deepEqual(await second.next(), { done: false, value: 'a' });
    await second.return(RESULT);
    assert.equal(state.stopped, true);
    assert.deepEqual(ends, ['first closed', 'second closed']);
    assert.deepEqual(await second.next(), { done: true, value: { finishReason: 'stop', usage: null } });
  });

  it('a pass over chunks already being read wraps them instead', async () => {
    const { chunks } = source(['a', 'b']);
    const first = passChunks(chunks, { chunk: (c) => `${String(c)}1` });
    assert.deepEqual(await first.next(), { done: false, value: 'a1' });
    const second = passChunks(first, { chunk: (c) => `${String(c)}2` });
    const { seen } = await readAll(second);
    assert.deepEqual(seen, ['b12']);
  });
});
