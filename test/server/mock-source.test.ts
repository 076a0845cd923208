import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor, splitIntoTokens } from '../../src/dev-server/sources/mock-answer.js';
import type { MessageParams } from '../../src/protocol/index.js';

async function run(params: MessageParams): Promise<{ tokens: string[]; finishReason: string }> {
  const source = createMockSource({ seed: 3, tokensPerSecond: Number.POSITIVE_INFINITY });
  const generator = source.generate({
    messages: [{ role: 'user', content: 'hello' }],
    params,
    signal: new AbortController().signal,
  });
  const tokens: string[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { tokens, finishReason: next.value.finishReason };
    if (typeof next.value !== 'string') throw new Error('a typed part from a mock without parts: true');
    tokens.push(next.value);
  }
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
