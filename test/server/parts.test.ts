/**
 * PROTOCOL.md section 16: an answer's reasoning, tool steps and sources share
 * its one sequence, so resume, snapshot and replay cover them, on the memory
 * store and on Redis; a version-1 client (today's widget client, which does
 * not ask for parts) still gets exactly the answer text, gapless.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { runConformance } from '../../src/conformance/checks.js';
import { isType } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor, mockPartsFor } from '../../src/dev-server/sources/mock-answer.js';
import type { DeltaFrame, ServerFrame } from '../../src/protocol/index.js';
import { RedisStore } from '../../src/server/store/redis/redis-store.js';
import { ChatSession } from '../../src/widget/chat-session.js';
import { waitUntil, welcomed, wsUrlOf } from '../helpers/kit.js';

const SEED = 5;

/** The frames of one answer's deltas, as a client that asked for parts applies them. */
function partsOf(frames: readonly ServerFrame[], messageId: string) {
  const deltas = frames.filter((f): f is DeltaFrame => f.type === 'delta' && f.messageId === messageId);
  return {
    seqs: deltas.map((d) => d.seq),
    text: deltas.map((d) => d.text).join(''),
    reasoning: deltas.map((d) => d.reasoning ?? '').join(''),
    tools: deltas.flatMap((d) => (d.tool ? [d.tool] : [])),
    sources: deltas.flatMap((d) => (d.source ? [d.source] : [])),
  };
}

for (const store of ['memory', 'redis'] as const) {
  describe(`parts of an answer (${store} store)`, () => {
    let redis: RedisProcess | undefined;
    let server: DevServer;
    let url: string;
    before(async () => {
      if (store === 'redis') redis = await startRedisProcess();
      server = await startDevServer({
        port: 0,
        source: createMockSource({ seed: SEED, tokensPerSecond: 4000, parts: true }),
        deltaWindowMs: 0,
        ...(redis ? { redis: redis.url } : {}),
      });
      url = wsUrlOf(server);
    });
    after(async () => {
      await server.close();
      await redis?.close();
    });

    it("today's client code (no parts asked) gets exactly the answer text, with a gapless seq and no reconnect", async () => {
      const frames: ServerFrame[] = [];
      const statuses: string[] = [];
      const session = new ChatSession(
        undefined,
        {
          url: () => url,
          onChange: () => {},
          onStatus: (status) => statuses.push(status),
          onProtocolError: (message) => statuses.push(`protocol error: ${message}`),
          onFrame: (frame) => frames.push(frame),
        },
        { WebSocket },
      );
      try {
        session.open();
        session.send('Hello');
        const answer = await waitUntil(
          () => session.state.messages.find((m) => m.role === 'assistant' && m.status === 'done'),
          'the answer to end',
        );
        assert.equal(answer.text, mockAnswerFor('Hello', 0, SEED, 1), 'exactly the answer text');
        const done = frames.find((f) => f.type === 'done');
        assert.equal(answer.seq, done?.type === 'done' ? done.seq : -1);
        const seen = partsOf(frames, answer.id ?? '');
        assert.deepEqual(
          seen.seqs,
          Array.from({ length: answer.seq }, (_, i) => i + 1),
          'every seq once, in order',
        );
        assert.ok(
          seen.seqs.length > frames.filter((f) => f.type === 'delta' && f.text !== '').length,
          'the other parts reached it as deltas with empty text (the test exercises them)',
        );
        assert.equal(seen.reasoning, '', 'no reasoning reached a client that did not ask');
        assert.deepEqual([seen.tools, seen.sources], [[], []]);
        assert.ok(!statuses.includes('reconnecting'), `no reconnect (statuses: ${statuses})`);
        assert.ok(!statuses.some((s) => s.startsWith('protocol error')), `statuses: ${statuses}`);
      } finally {
        session.close();
      }
    });

    it('a client that asks gets the reasoning, the tool step live and the numbered sources, in one sequence', async () => {
      const client = await welcomed(url, { hello: { parts: true } });
      try {
        assert.equal(client.frames[0]?.type === 'welcome' && client.frames[0].parts, true);
        client.send({ type: 'send', clientMsgId: 'p1', text: 'Hello' });
        const done = await client.waitFor(isType('done'), { timeoutMs: 10_000 });
        const seen = partsOf(client.frames, done.messageId);
        const expected = mockPartsFor(0, SEED);
        assert.deepEqual(
          seen.seqs,
          Array.from({ length: done.seq }, (_, i) => i + 1),
        );
        assert.equal(seen.text, mockAnswerFor('Hello', 0, SEED, 1));
        assert.equal(seen.reasoning, expected.reasoning);
        assert.deepEqual(
          seen.tools.map((t) => t.status),
          ['running', 'done'],
          'the step is sent again when its status changes',
        );
        assert.deepEqual(seen.tools[1], { ...expected.tool, status: 'done' });
        assert.deepEqual(
          seen.sources,
          expected.sources.map((s, i) => ({ n: i + 1, ...s })),
        );
        const firstText = client.frames.findIndex((f) => f.type === 'delta' && f.text !== '');
        const lastPart = client.frames.findLastIndex((f) => f.type === 'delta' && f.text === '');
        assert.ok(lastPart < firstText, 'the mock thinks, searches and cites before it answers');
        assert.ok(done.usage?.reasoningTokens !== undefined && done.usage.reasoningTokens > 0);
      } finally {
        client.close();
      }
    });

    it('conformance: the parts checks pass with parts required', async () => {
      const results = await runConformance({ url, timeoutMs: 10_000, parts: true });
      assert.deepEqual(
        results.filter((r) => !r.ok),
        [],
      );
    });
  });
}

describe('parts of an answer: a snapshot when the replay log no longer holds the deltas', () => {
  for (const store of ['memory', 'redis'] as const) {
    it(`${store}: a resume from inside the reasoning gets one snapshot with every part`, async () => {
      const redis = store === 'redis' ? await startRedisProcess() : undefined;
      const server = await startDevServer({
        port: 0,
        source: createMockSource({ seed: SEED, tokensPerSecond: 4000, parts: true }),
        deltaWindowMs: 0,
        // Too small for the whole answer: the first deltas are dropped from the log as it grows.
        replayMaxChars: 200,
        ...(redis ? { redis: redis.url } : {}),
      });
      try {
        const url = wsUrlOf(server);
        const first = await welcomed(url, { hello: { parts: true } });
        first.send({ type: 'send', clientMsgId: 's1', text: 'Hello' });
        const done = await first.waitFor(isType('done'), { timeoutMs: 10_000 });
        first.close();
        const whole = partsOf(first.frames, done.messageId);
        const conversationId = first.frames[0]?.type === 'welcome' ? first.frames[0].conversationId : '';
        const again = await welcomed(url, {
          hello: { parts: true, conversationId, resume: [{ messageId: done.messageId, lastSeq: 2 }] },
        });
        try {
          const snapshot = await again.waitFor(isType('snapshot'), { timeoutMs: 10_000 });
          assert.equal(snapshot.seq, done.seq);
          assert.equal(snapshot.text, whole.text);
          assert.equal(snapshot.reasoning, whole.reasoning);
          assert.deepEqual(snapshot.tools, [whole.tools[1]], 'each step once, in its last state');
          assert.deepEqual(snapshot.sources, whole.sources);
          assert.ok(!again.frames.some((f) => f.type === 'delta'), 'never a partial replay');
        } finally {
          again.close();
        }
        // A version-1 client resuming the same way gets the text alone.
        const v1 = await welcomed(url, {
          hello: { conversationId, resume: [{ messageId: done.messageId, lastSeq: 2 }] },
        });
        try {
          const snapshot = await v1.waitFor(isType('snapshot'), { timeoutMs: 10_000 });
          assert.deepEqual(
            Object.keys(snapshot).sort(),
            ['messageId', 'seq', 'text', 'type'],
            'no parts for a client that did not ask',
          );
          assert.equal(snapshot.text, whole.text);
        } finally {
          v1.close();
        }
      } finally {
        await server.close();
        await redis?.close();
      }
    });
  }
});

describe('parts of an answer: Redis keeps them when a dead node’s answer is ended', () => {
  it('the interrupt script rebuilds text, reasoning, steps and sources from the stream', async () => {
    const redis = await startRedisProcess();
    const store = new RedisStore({ url: redis.url });
    try {
      const c = 'c_parts';
      const id = 'm_answer';
      await store.create(c);
      await store.redis.hset(
        store.keys.messages(c),
        id,
        JSON.stringify({ id, role: 'assistant', text: '', seq: 0, replyTo: 'm_q' }),
      );
      await store.redis.rpush(store.keys.order(c), id);
      const tool = { id: 't1', name: 'search', label: 'Searching', status: 'running' as const };
      const bodies = [
        { text: '', reasoning: 'Think ' },
        { text: '', tool },
        { text: '', reasoning: 'more.' },
        { text: '', tool: { ...tool, status: 'done' as const, summary: '2 pages' } },
        { text: '', source: { n: 1, title: 'RFC', url: 'https://example.com/rfc' } },
        { text: 'The answer' },
      ];
      for (const [i, body] of bodies.entries()) await store.appendDelta(c, id, i + 1, body, false);
      // No lease exists: the node that generated it is gone.
      assert.equal(await store.interruptOrphans(c), 1);
      const ended = await store.message(c, id);
      assert.deepEqual(
        {
          text: ended?.text,
          seq: ended?.seq,
          finishReason: ended?.finishReason,
          reasoning: ended?.reasoning,
          tools: ended?.tools,
          sources: ended?.sources,
        },
        {
          text: 'The answer',
          seq: 6,
          finishReason: 'interrupted',
          reasoning: 'Think more.',
          tools: [{ ...tool, status: 'done', summary: '2 pages' }],
          sources: [{ n: 1, title: 'RFC', url: 'https://example.com/rfc' }],
        },
      );
    } finally {
      await store.close();
      await redis.close();
    }
  });
});

describe('parts of an answer: another node follows them through Redis', () => {
  it('a client on the node that does not generate gets every part, in the one sequence', async () => {
    const redis = await startRedisProcess();
    const start = () =>
      startDevServer({
        port: 0,
        source: createMockSource({ seed: SEED, tokensPerSecond: 4000, parts: true }),
        deltaWindowMs: 0,
        redis: redis.url,
      });
    const [a, b] = [await start(), await start()];
    try {
      const onB = await welcomed(wsUrlOf(b), { hello: { parts: true } });
      const welcome = onB.frames[0];
      const conversationId = welcome?.type === 'welcome' ? welcome.conversationId : '';
      const onA = await welcomed(wsUrlOf(a), { hello: { parts: true, conversationId } });
      onB.send({ type: 'send', clientMsgId: 'f1', text: 'Hello' });
      const done = await onA.waitFor(isType('done'), { timeoutMs: 10_000 });
      const followed = partsOf(onA.frames, done.messageId);
      const expected = mockPartsFor(0, SEED);
      assert.deepEqual(
        followed.seqs,
        Array.from({ length: done.seq }, (_, i) => i + 1),
      );
      assert.equal(followed.text, mockAnswerFor('Hello', 0, SEED, 1));
      assert.equal(followed.reasoning, expected.reasoning);
      assert.deepEqual(followed.tools.at(-1), { ...expected.tool, status: 'done' });
      assert.deepEqual(
        followed.sources,
        expected.sources.map((s, i) => ({ n: i + 1, ...s })),
      );
      onA.close();
      onB.close();
    } finally {
      await a.close();
      await b.close();
      await redis.close();
    }
  });
});
