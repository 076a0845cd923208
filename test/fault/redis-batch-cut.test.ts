/**
 * The Redis connection cut in the middle of a batch of delta writes (one
 * pipeline carrying the deltas of several answers): a proxy between the
 * generating node and Redis lets through part of a batch, or all of it and
 * half of Redis's replies, then closes. Every answer still lands exactly once:
 * for clients on the generating node, for clients following it from another
 * node (which read what Redis stored), for reconnecting clients that move
 * between the nodes, and in Redis's own stream (each seq once, in order).
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { startNode, stopAll } from '../helpers/server-nodes.js';
import { askOnce } from './ask.js';
import { ChaosProxy } from './chaos-proxy.js';
import { RedisCutProxy } from './redis-cut-proxy.js';

const SEED = 7;
const SECTIONS = 3;
/** Answers asked by a raw client on the generating node and followed from the other node. */
const WATCHED = 6;
/** Answers asked by the widget's client, whose connections are cut and move between the nodes. */
const SESSIONS = 4;
/** Cuts of each kind (part of a batch; a whole batch and half its replies). */
const CUTS_EACH = 3;

const redises: RedisProcess[] = [];
const proxies: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await stopAll();
  for (const p of proxies.splice(0)) await p.close();
});
after(async () => {
  for (const r of redises) await r.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every stream entry of an answer in Redis: each delta's seq and text, then its end. */
async function storedStream(redis: Redis, conversationId: string, messageId: string) {
  const entries = await redis.xrange(`aisc:{${conversationId}}:d:${messageId}`, '-', '+');
  const deltas = entries.filter(([id]) => id.endsWith('-0'));
  return {
    seqs: deltas.map(([id]) => Number(id.split('-')[0])),
    text: deltas.map(([, fields]) => fields[fields.indexOf('t') + 1]).join(''),
    end: entries.find(([id]) => id.endsWith('-1'))?.[1],
  };
}

describe('Redis connection cut in the middle of a batch of deltas', () => {
  it('every answer lands exactly once for every client and in the stream', async () => {
    const r = await startRedisProcess();
    redises.push(r);
    const cutter = new RedisCutProxy(r.port);
    proxies.push(cutter);
    const cutterPort = await cutter.listen();
    const args = ['--rate', '100', '--seed', String(SEED), '--sections', String(SECTIONS)];
    // A generates every answer, its deltas through the cutting proxy; B reads Redis directly.
    const [a, b] = await Promise.all([
      startNode(['--redis', `redis://127.0.0.1:${cutterPort}`, ...args]),
      startNode(['--redis', r.url, ...args]),
    ]);

    const watched = await Promise.all(
      Array.from({ length: WATCHED }, async (_, i) => {
        const asker: Peer = await welcomed(a.wsUrl, { hello: {} });
        const { conversationId } = asker.frames[0] as Welcome;
        const question = `watched ${i}`;
        asker.send({ type: 'send', clientMsgId: `q${i}`, text: question });
        const { messageId } = await asker.waitFor(isType('start'));
        const follower: Peer = await welcomed(b.wsUrl, { hello: { conversationId } });
        return { question, conversationId, messageId, asker, follower };
      }),
    );

    // The widget's client: its first connection asks on A, the later ones alternate, each cut at random.
    const sessions = Array.from({ length: SESSIONS }, async (_, i) => {
      const proxy = new ChaosProxy({ host: '127.0.0.1', port: a.port }, 100 + i, (index, random) => ({
        targetPort: index % 2 === 0 ? a.port : b.port,
        cutAfterBytes: index === 0 ? 4000 : 500 + Math.floor(random() * 3000),
        maxPiece: 4096,
        maxDelayMs: 0,
        delayChance: 0,
      }));
      proxies.push(proxy);
      const port = await proxy.listen();
      const question = `session ${i}`;
      const messages = await askOnce(`ws://127.0.0.1:${port}/ws`, question, {
        label: question,
        timeoutMs: 60_000,
      });
      return { question, messages, cuts: proxy.cuts };
    });

    // Cut A's Redis connection mid-batch, alternating how, while the answers stream.
    for (let i = 0; i < 2 * CUTS_EACH; i++) {
      if (i % 2 === 0) cutter.cutRequest();
      else cutter.cutReply();
      while (cutter.waiting) await sleep(5);
      // Let the node reconnect and resend before the next cut.
      await sleep(150);
    }
    assert.equal(cutter.requestCuts, CUTS_EACH, 'batches were cut partway through');
    assert.equal(cutter.replyCuts, CUTS_EACH, "batches' replies were cut partway through");

    const checker = new Redis(r.url);
    try {
      for (const w of watched) {
        const full = mockAnswerFor(w.question, 0, SEED, SECTIONS);
        for (const peer of [w.asker, w.follower]) {
          const done = await peer.waitFor(
            isType('done', (d) => d.messageId === w.messageId),
            { timeoutMs: 60_000 },
          );
          assert.equal(done.finishReason, 'stop', `${w.question} ends stop`);
          // Strict: the server neither repeats a delta nor sends one out of order.
          const answer = answerText(peer.frames, w.messageId, { strict: true });
          assert.equal(answer.text, full, `${w.question} is exact`);
          assert.equal(answer.seq, done.seq);
        }
        const stream = await storedStream(checker, w.conversationId, w.messageId);
        const done = await w.asker.waitFor(isType('done', (d) => d.messageId === w.messageId));
        assert.deepEqual(
          stream.seqs,
          Array.from({ length: done.seq }, (_, k) => k + 1),
          `${w.question}: Redis holds each delta once, in order`,
        );
        assert.equal(stream.text, full, `${w.question}: Redis holds the exact text`);
        assert.equal(stream.end?.[stream.end.indexOf('r') + 1], 'stop');
        // A client arriving now gets the whole answer from Redis, on either node.
        for (const n of [a, b]) {
          const late = await welcomed(n.wsUrl, { hello: { conversationId: w.conversationId } });
          const entry = (late.frames[0] as Welcome).history.find((m) => m.id === w.messageId);
          assert.equal(entry?.text, full);
          assert.equal(entry?.finishReason, 'stop');
          late.close();
        }
        w.asker.close();
        w.follower.close();
      }
    } finally {
      checker.disconnect();
    }

    let cuts = 0;
    const asked = await Promise.all(sessions).catch((error: unknown) => {
      // What the nodes logged is what tells a stalled answer's cause.
      throw new Error(`${error}\nnode A: ${a.stderr().slice(-4000)}\nnode B: ${b.stderr().slice(-4000)}`);
    });
    for (const { question, messages, cuts: sessionCuts } of asked) {
      const answer = messages.find((m) => m.role === 'assistant');
      assert.equal(answer?.status, 'done', `${question} ended`);
      assert.equal(answer?.text, mockAnswerFor(question, 0, SEED, SECTIONS), `${question} is exact`);
      cuts += sessionCuts;
    }
    assert.ok(cuts >= SESSIONS, `the clients' connections were cut too (${cuts} cuts)`);
  });
});
