import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor, splitIntoTokens } from '../../src/dev-server/sources/mock-answer.js';
import { Pacer } from '../../src/dev-server/sources/pacer.js';
import type { MessageParams } from '../../src/protocol/index.js';
import type { SourceChunk } from '../../src/server/sources/types.js';

async function run(params: MessageParams): Promise<{ tokens: string[]; finishReason: string }> {
  const source = createMockSource({ seed: 3, tokensPerSecond: Number.POSITIVE_INFINITY });
  const tokens: string[] = [];
  const result = await source.stream(
    { messages: [{ role: 'user', content: 'hello' }], params, signal: new AbortController().signal },
    (chunk) => {
      if (typeof chunk !== 'string') throw new Error('a typed part from a mock without parts: true');
      tokens.push(chunk);
    },
  );
  return { tokens, finishReason: result.finishReason };
}

describe('mock source', () => {
  it('stops at maxTokens with finishReason "length", like a model', async () => {
    const all = splitIntoTokens(mockAnswerFor('hello', 0, 3, 1), 3 + 1);
    assert.ok(all.length > 12);
    assert.deepEqual(await run({ maxTokens: 12 }), { tokens: all.slice(0, 12), finishReason: 'length' });
    assert.deepEqual(await run({}), { tokens: all, finishReason: 'stop' });
    assert.deepEqual(await run({ maxTokens: all.length }), { tokens: all, finishReason: 'stop' });
  });
});

describe('pacer (the mock source paces every answer from one timer)', () => {
  /** A tick boundary `ticksAhead` ticks of `tickMs` from now. */
  const boundary = (tickMs: number, ticksAhead: number): number =>
    (Math.ceil(performance.now() / tickMs) + ticksAhead) * tickMs;

  it('runs the callbacks due anywhere in one tick together, none before its due time', async () => {
    const pacer = new Pacer(5);
    const end = boundary(5, 4);
    // Due at different moments of the same tick: a timer each would wake the process once for each.
    const dues = [end - 4.6, end - 3.4, end - 2.2, end - 1.1, end];
    const events: string[] = [];
    const lateness: number[] = [];
    await Promise.all(
      dues.map(
        (dueAt, i) =>
          new Promise<void>((resolve) =>
            pacer.at(dueAt, () => {
              lateness.push(performance.now() - dueAt);
              if (events.length === 0) setImmediate(() => events.push('next turn of the event loop'));
              events.push(`wait ${i}`);
              resolve();
            }),
          ),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events.slice(0, dues.length).sort(), ['wait 0', 'wait 1', 'wait 2', 'wait 3', 'wait 4']);
    assert.equal(events.at(-1), 'next turn of the event loop');
    for (const late of lateness) assert.ok(late >= 0, `a wait ended ${-late} ms before its due time`);
  });

  it("a paced stream's cancel ends it at once, takes its wait back, and leaves no timer behind", async () => {
    const pacer = new Pacer(5);
    let called = false;
    const abort = new AbortController();
    const kept = (): void => {};
    const soon = pacer.at(performance.now() + 10, kept);
    const paced = pacer.paced(abort.signal, () => {
      called = true;
    });
    paced.until(performance.now() + 60_000);
    pacer.cancel(soon, kept);
    abort.abort();
    const first = await Promise.race([
      paced.done.then(() => 'the stream'),
      new Promise((resolve) => setImmediate(() => resolve('the next turn of the event loop'))),
    ]);
    assert.equal(first, 'the stream');
    assert.equal(paced.ended, true);
    paced.until(performance.now() + 10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(called, false, 'an ended stream waits for nothing');
    // With every wait taken back, the pacer holds no timer: this test's process can end now, not in 60 s.
    assert.deepEqual(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout'),
      [],
    );
  });

  it('paces a cancelled answer no further: the source stops producing and ends at once', async () => {
    const source = createMockSource({ seed: 3, tokensPerSecond: 20 });
    const abort = new AbortController();
    const chunks: SourceChunk[] = [];
    const ended = source.stream(
      { messages: [{ role: 'user', content: 'hello' }], params: {}, signal: abort.signal },
      (chunk) => chunks.push(chunk),
    );
    assert.equal(chunks.length, 1, 'the first token goes out at once');
    abort.abort();
    const first = await Promise.race([
      ended.then(() => 'the answer'),
      new Promise((resolve) => setImmediate(() => resolve('the next turn of the event loop'))),
    ]);
    assert.equal(first, 'the answer', 'the answer ends with the cancel, not at its next token');
    // Two more tokens would have been due by now.
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(source.stats.tokensProduced, 1);
    assert.equal(chunks.length, 1);
  });
});
