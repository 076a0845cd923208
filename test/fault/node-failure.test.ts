/**
 * Nodes and Redis failing under a live answer, with server processes of the
 * built CLI sharing a real redis-server: cancel reaching the generating node
 * from another one, SIGKILL of the generating node, a restart of every node,
 * and Redis restarted mid-answer.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { ChatSession } from '../../src/widget/chat-session.js';
import type { ChatMessage } from '../../src/widget/chat-state.js';
import type { Welcome } from '../helpers/frames.js';
import { waitUntil, welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';
import { ChaosProxy } from './chaos-proxy.js';

const SEED = 3;
const redises: RedisProcess[] = [];
afterEach(stopAll);
after(async () => {
  for (const r of redises) await r.close();
});

async function redis(persistent = false): Promise<RedisProcess> {
  const r = await startRedisProcess({ persistent });
  redises.push(r);
  return r;
}

function nodeArgs(r: RedisProcess, rate: number, sections = 3): string[] {
  return ['--redis', r.url, '--rate', String(rate), '--seed', String(SEED), '--sections', String(sections)];
}

const hello = (n: ServerNode, extra: Record<string, unknown> = {}): Promise<Peer> =>
  welcomed(n.wsUrl, { hello: extra });

/** A ChatSession whose first connection goes to `first` and every later one to `then`. */
async function sessionAcross(first: ServerNode, then: ServerNode) {
  const proxy = new ChaosProxy({ host: '127.0.0.1', port: first.port }, 1, (index) => ({
    targetPort: index === 0 ? first.port : then.port,
    maxPiece: 65536,
    maxDelayMs: 0,
    delayChance: 0,
  }));
  const port = await proxy.listen();
  const session = new ChatSession(
    undefined,
    {
      url: () => `ws://127.0.0.1:${port}/ws`,
      onStatus: () => {},
      onProtocolError: (message) => {
        throw new Error(message);
      },
      onChange: () => {},
    },
    { backoff: { baseMs: 5, maxMs: 50 }, WebSocket },
  );
  return { session, proxy };
}

/** The session's answer once `check` holds for it. */
function answerWhen(session: ChatSession, check: (answer: ChatMessage) => boolean, what: string) {
  return waitUntil(
    () => {
      const answer = session.state.messages.find((m) => m.role === 'assistant');
      return answer && check(answer) && answer;
    },
    what,
    20_000,
  );
}

describe('multi-node failures', () => {
  it('cancel sent to node B stops the answer generated on node A', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([startNode(nodeArgs(r, 100)), startNode(nodeArgs(r, 100))]);
    const onA = await hello(a);
    const { conversationId } = onA.frames[0] as Welcome;
    onA.send({ type: 'send', clientMsgId: 'q', text: 'long answer' });
    const start = await onA.waitFor(isType('start'));
    await onA.waitFor(isType('delta', (d) => d.seq === 5));

    const onB = await hello(b, { conversationId });
    const sentAt = performance.now();
    onB.send({ type: 'cancel', messageId: start.messageId });
    const doneOnA = await onA.waitFor(isType('done'));
    const stopMs = performance.now() - sentAt;
    assert.equal(doneOnA.finishReason, 'cancelled');
    // B follows A's stream, so its client sees the same end.
    const doneOnB = await onB.waitFor(isType('done'));
    assert.equal(doneOnB.finishReason, 'cancelled');
    assert.equal(doneOnB.seq, doneOnA.seq);
    process.stdout.write(`# cancel via another node stopped generation in ${stopMs.toFixed(1)} ms\n`);
    onA.close();
    onB.close();
  });

  it('SIGKILL of the generating node: another node ends the answer as interrupted, partial text kept', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([startNode(nodeArgs(r, 60)), startNode(nodeArgs(r, 60))]);
    const { session, proxy } = await sessionAcross(a, b);
    const client = new Redis(r.url);
    try {
      session.send('tell me everything');
      session.open();
      await answerWhen(session, (m) => m.seq >= 10, '10 deltas');
      const conversationId = session.state.conversationId as string;
      const holder = await client.get(`aisc:{${conversationId}}:lease`);
      assert.equal(holder?.split('/')[1], String(a.pid), 'node A holds the lease: it generates');

      await a.stop('SIGKILL');
      const answer = await answerWhen(session, (m) => m.status === 'done', 'the answer to end');
      assert.equal(answer.finishReason, 'interrupted');
      const full = mockAnswerFor('tell me everything', 0, SEED, 3);
      assert.ok(answer.text.length > 0 && answer.text.length < full.length, 'partial text');
      assert.ok(full.startsWith(answer.text), 'the text streamed before the kill, exactly');
      assert.ok(proxy.connections >= 2, 'the client moved to node B');

      // The stored history says the same to anyone.
      const later = await hello(b, { conversationId });
      const entry = (later.frames[0] as Welcome).history.find((m) => m.role === 'assistant');
      assert.equal(entry?.finishReason, 'interrupted');
      assert.equal(entry?.text, answer.text);
      later.close();
    } finally {
      session.close();
      await proxy.close();
      client.disconnect();
    }
  });

  it('history survives a restart of every node', async () => {
    const r = await redis();
    const args = nodeArgs(r, 5000, 1);
    const [a, b] = await Promise.all([startNode(args), startNode(args)]);
    const first = await hello(a);
    const { conversationId } = first.frames[0] as Welcome;
    first.send({ type: 'send', clientMsgId: 'q1', text: 'first question' });
    await first.waitFor(isType('done'));
    first.close();
    const second = await hello(b, { conversationId });
    second.send({ type: 'send', clientMsgId: 'q2', text: 'second question' });
    await second.waitFor(isType('done'));
    second.close();
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);

    const c = await startNode(args);
    const back = await hello(c, { conversationId });
    const welcome = back.frames[0] as Welcome;
    assert.equal(welcome.conversationId, conversationId);
    assert.deepEqual(
      welcome.history.map((m) => [m.role, m.text, m.finishReason]),
      [
        ['user', 'first question', undefined],
        ['assistant', mockAnswerFor('first question', 0, SEED, 1), 'stop'],
        ['user', 'second question', undefined],
        ['assistant', mockAnswerFor('second question', 1, SEED, 1), 'stop'],
      ],
    );
    back.close();
  });

  it('Redis restarted mid-answer: /healthz reports it, the answer completes exactly once', async () => {
    const r = await redis(true);
    const a = await startNode(nodeArgs(r, 80, 2));
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${a.port}/healthz`);
      return {
        status: res.status,
        body: (await res.json()) as { status: string; store: { error?: string } },
      };
    };
    assert.equal((await health()).status, 200);
    const { session, proxy } = await sessionAcross(a, a);
    try {
      session.send('survive this');
      session.open();
      await answerWhen(session, (m) => m.seq >= 10, '10 deltas');
      await r.stop();
      const down = await waitUntil(
        async () => {
          const h = await health();
          return h.status !== 200 && h;
        },
        '/healthz to notice',
        5000,
      );
      assert.equal(down.status, 503);
      assert.equal(down.body.status, 'degraded');
      assert.match(down.body.store.error ?? '', /Redis/);
      await r.start();

      const answer = await answerWhen(session, (m) => m.status === 'done', 'the answer to end');
      assert.equal(answer.finishReason, 'stop', answer.error);
      assert.equal(answer.text, mockAnswerFor('survive this', 0, SEED, 2));
      assert.equal(session.state.messages.length, 2);
      const up = await waitUntil(
        async () => {
          const h = await health();
          return h.status === 200 && h;
        },
        '/healthz to recover',
        5000,
      );
      assert.equal(up.status, 200);

      // Nothing was lost in Redis either: a fresh node serves the whole answer.
      const b = await startNode(nodeArgs(r, 80, 2));
      const back = await hello(b, { conversationId: session.state.conversationId });
      const entry = (back.frames[0] as Welcome).history.find((m) => m.role === 'assistant');
      assert.equal(entry?.text, answer.text);
      assert.equal(entry?.finishReason, 'stop');
      back.close();
    } finally {
      session.close();
      await proxy.close();
    }
  });
});
