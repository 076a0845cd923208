/**
 * The sources the server exports push their chunks (`stream`) and can still
 * be read as a `TokenSource` (`generate`, src/server/sources/pulled-stream.ts):
 * the same chunks in the same order and the same result; closing the
 * generator early stops the source; a source that fails fails the read after
 * the chunks it pushed first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { pulledStream } from '../../src/server/sources/pulled-stream.js';
import type { GenerateRequest, GenerateResult, SourceChunk } from '../../src/server/sources/types.js';

const request = (signal = new AbortController().signal): GenerateRequest => ({
  messages: [{ role: 'user', content: 'hello' }],
  params: {},
  signal,
});

async function readAll(
  chunks: AsyncGenerator<SourceChunk, GenerateResult, void>,
): Promise<{ seen: SourceChunk[]; result: GenerateResult }> {
  const seen: SourceChunk[] = [];
  for (;;) {
    const next = await chunks.next();
    if (next.done) return { seen, result: next.value };
    seen.push(next.value);
  }
}

describe('a push source read as a TokenSource', () => {
  it('yields what it pushes, in order, bursts included, and returns its result', async () => {
    // At full speed the mock pushes 64 tokens in one call: they wait for the reader in order.
    const source = createMockSource({ seed: 5, tokensPerSecond: Number.POSITIVE_INFINITY, parts: true });
    const pushed: SourceChunk[] = [];
    const pushedResult = await source.stream(request(), (c) => pushed.push(c));
    assert.ok(pushed.length > 64);
    const { seen, result } = await readAll(source.generate(request()));
    assert.deepEqual(seen, pushed);
    assert.deepEqual(result, pushedResult);
  });

  it('closing the generator early stops the source', async () => {
    const source = createMockSource({ seed: 5, tokensPerSecond: 50 });
    const chunks = source.generate(request());
    await chunks.next();
    await chunks.next();
    await chunks.return({ finishReason: 'stop', usage: null });
    const produced = source.stats.tokensProduced;
    // Several more tokens would have been due by now.
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(source.stats.tokensProduced, produced);
  });

  it("the caller's cancel reaches the source", async () => {
    const source = createMockSource({ seed: 5, tokensPerSecond: 50 });
    const abort = new AbortController();
    const chunks = source.generate(request(abort.signal));
    await chunks.next();
    abort.abort();
    const { seen } = await readAll(chunks);
    assert.ok(seen.length <= 1, 'at most a token already pushed before the cancel');
  });

  it('a failing source fails the read after the chunks it pushed first', async () => {
    const generate = pulledStream(async (_request, emit) => {
      emit('a');
      emit('b');
      throw new Error('model gone');
    });
    const chunks = generate(request());
    assert.deepEqual(await chunks.next(), { done: false, value: 'a' });
    assert.deepEqual(await chunks.next(), { done: false, value: 'b' });
    await assert.rejects(chunks.next(), /model gone/);
  });
});
