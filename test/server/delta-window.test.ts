/**
 * The delta window (PROTOCOL.md section 3: `seq` counts deltas, not tokens):
 * text a fast source makes right after a delta joins the next one; the first
 * text, text after a pause longer than the window, and a slow source's every
 * token go out at once. Time is the
 * test's: node:test's mock timers and a clock moved with them.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { isType } from '../../src/conformance/peer.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { DeltaWindow } from '../../src/server/conversation/delta-window.js';
import { answerText } from '../helpers/frames.js';
import { welcomed, withServer } from '../helpers/kit.js';

function windowOf(ms: number) {
  let clock = 1000;
  const sent: string[] = [];
  mock.timers.enable({ apis: ['setTimeout'] });
  const deltas = new DeltaWindow(
    ms,
    (part) => sent.push(part.type === 'text' ? part.text : `${part.type}:${JSON.stringify(part)}`),
    () => clock,
  );
  const advance = (by: number): void => {
    clock += by;
    mock.timers.tick(by);
  };
  return { deltas, sent, advance };
}

describe('DeltaWindow', () => {
  it("sends a fast source's first tokens at once, then joins what follows within the window into one delta", () => {
    const { deltas, sent, advance } = windowOf(40);
    try {
      // A token every 2 ms (500 tokens/s): t0 to t19.
      for (let i = 0; i < 20; i++) {
        deltas.push(`t${i} `);
        advance(2);
      }
      assert.deepEqual(sent.slice(0, 3), ['t0 ', 't1 ', 't2 '], 'the first tokens are not held');
      assert.equal(sent.length, 3, 'once the source is known to be fast, tokens wait for the window');
      advance(10); // 4 ms (t2 sent) + 40 ms window = 44 ms
      const joined = Array.from({ length: 17 }, (_, i) => `t${i + 3} `).join('');
      assert.deepEqual(sent, ['t0 ', 't1 ', 't2 ', joined], 'one delta at the end of the window');
      advance(100);
      deltas.push('after a pause');
      assert.equal(sent.at(-1), 'after a pause', 'after a pause longer than the window, at once');
    } finally {
      mock.timers.reset();
    }
  });

  it('never holds a source slower than a token per window, even when two of its tokens come close together', () => {
    const { deltas, sent, advance } = windowOf(16);
    try {
      // 20 tokens/s whose timer fires late now and then: every other token comes 1 ms after the one before.
      const pushed: string[] = [];
      for (let i = 0; i < 40; i++) {
        const token = `t${i} `;
        pushed.push(token);
        deltas.push(token);
        advance(i % 2 === 0 ? 1 : 99);
      }
      assert.deepEqual(sent, pushed, 'every token went out as it came');
    } finally {
      mock.timers.reset();
    }
  });

  it('flush sends what waits at once (before done, or a cut), and nothing when nothing waits', () => {
    const { deltas, sent, advance } = windowOf(40);
    try {
      for (const token of ['a', 'b', 'c', 'd', 'e']) deltas.push(token); // a burst: d and e wait
      assert.deepEqual(sent, ['a', 'b', 'c']);
      deltas.flush();
      assert.deepEqual(sent, ['a', 'b', 'c', 'de']);
      deltas.flush();
      advance(100);
      assert.deepEqual(sent, ['a', 'b', 'c', 'de'], 'the timer of the flushed text is gone');
    } finally {
      mock.timers.reset();
    }
  });

  it('a window of 0 sends every token as its own delta; empty text is no delta', () => {
    const { deltas, sent } = windowOf(0);
    try {
      for (const token of ['a', '', 'b', 'c']) deltas.push(token);
      assert.deepEqual(sent, ['a', 'b', 'c']);
    } finally {
      mock.timers.reset();
    }
  });

  it("through the server: a fast model's answer comes in a few deltas, a slow one's in a delta per token, both exact", async () => {
    const fast = createMockSource({ seed: 3, tokensPerSecond: Number.POSITIVE_INFINITY });
    await withServer({ source: fast, deltaWindowMs: 16 }, async (url) => {
      const client = await welcomed(url);
      client.send({ type: 'send', clientMsgId: 'c', text: 'hi' });
      const start = await client.waitFor(isType('start'));
      const done = await client.waitFor(isType('done'), { timeoutMs: 30_000 });
      const applied = answerText(client.frames, start.messageId, { strict: true });
      assert.equal(applied.text, mockAnswerFor('hi', 0, 3, 1), 'the answer is exact');
      assert.equal(done.seq, applied.deltaSeqs.length);
      const tokens = fast.stats.tokensProduced;
      assert.ok(
        applied.deltaSeqs.length <= tokens / 10,
        `${applied.deltaSeqs.length} deltas for ${tokens} tokens`,
      );
      client.close();
    });

    // A token at least 25 ms after the one before (a slow machine only spaces them further).
    const tokens = Array.from({ length: 20 }, (_, i) => `word${i} `);
    const slow = {
      async *generate() {
        for (const token of tokens) {
          yield token;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return { finishReason: 'stop' as const, usage: null };
      },
    };
    await withServer({ source: slow, deltaWindowMs: 16 }, async (url) => {
      const client = await welcomed(url);
      client.send({ type: 'send', clientMsgId: 'c', text: 'hi' });
      const start = await client.waitFor(isType('start'));
      await client.waitFor(isType('done'), { timeoutMs: 30_000 });
      const applied = answerText(client.frames, start.messageId, { strict: true });
      assert.equal(applied.text, tokens.join(''));
      assert.equal(
        applied.deltaSeqs.length,
        tokens.length,
        'a model slower than a token per window is never held',
      );
      client.close();
    });
  });

  it('one delta carries one part: text and reasoning join only their own kind; a step or a source goes at once', () => {
    const { deltas, sent, advance } = windowOf(40);
    const thought = (text: string): string => `reasoning:${JSON.stringify({ type: 'reasoning', text })}`;
    try {
      // Back to back: the first three go at once (the average gap starts slow), then the source is fast.
      for (const t of ['a', 'b', 'c', 'd', 'e']) deltas.push({ type: 'reasoning', text: t });
      assert.deepEqual(sent, ['a', 'b', 'c'].map(thought), 'd and e wait for the window');
      deltas.push({ type: 'tool', id: 't', name: 'search', label: 'Searching', status: 'running' });
      assert.deepEqual(
        sent.slice(3),
        [
          thought('de'),
          'tool:{"type":"tool","id":"t","name":"search","label":"Searching","status":"running"}',
        ],
        'what waited goes out before the step, and the step at once',
      );
      deltas.push({ type: 'reasoning', text: ' More.' });
      assert.equal(sent.length, 5, 'fast reasoning after the step waits');
      deltas.push('The');
      assert.deepEqual(
        sent.slice(5),
        [thought(' More.'), 'The'],
        'the answer begins at once, after the reasoning',
      );
      deltas.push({ type: 'text', text: ' answer' });
      advance(40);
      assert.equal(sent.at(-1), ' answer', 'a typed text part is text');
      deltas.push({ type: 'reasoning', text: '' });
      assert.equal(sent.length, 8, 'empty text is no delta');
    } finally {
      mock.timers.reset();
    }
  });
});
