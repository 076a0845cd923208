/**
 * Redis going away under live answers, with two server nodes of the built CLI
 * sharing a real redis-server and clients on both: a stall (SIGSTOP) or a
 * restart (SIGKILL, then start again on its append-only file) shorter than
 * the grace loses nothing; a longer outage ends the answers `interrupted`,
 * never `cancelled`, with their text kept. /healthz says degraded meanwhile.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { waitUntil, welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';

const SEED = 5;
const SECTIONS = 2;
const redises: RedisProcess[] = [];
afterEach(stopAll);
after(async () => {
  for (const r of redises) await r.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const hello = (n: ServerNode, conversationId?: string): Promise<Peer> =>
  welcomed(n.wsUrl, { hello: conversationId ? { conversationId } : {} });

interface Watched {
  question: string;
  /** The client that asked, on the generating node. */
  asker: Peer;
  /** A client of the same conversation on the other node. */
  follower: Peer;
  messageId: string;
}

/** Six conversations, three generated on each node, each also followed from the other node. */
async function sixAnswers(a: ServerNode, b: ServerNode): Promise<Watched[]> {
  return Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const [home, away] = i % 2 === 0 ? [a, b] : [b, a];
      const asker = await hello(home);
      const welcome = asker.frames[0] as Welcome;
      const question = `question ${i}`;
      asker.send({ type: 'send', clientMsgId: `q${i}`, text: question });
      const start = await asker.waitFor(isType('start'));
      const follower = await hello(away, welcome.conversationId);
      return { question, asker, follower, messageId: start.messageId };
    }),
  );
}

/**
 * A persistent redis-server, two nodes on it (mock answers, `args` added),
 * and six answers streaming on both nodes: each follower has had 20 deltas.
 */
async function sixAnswersStreaming(args: string[]) {
  const r = await startRedisProcess({ persistent: true });
  redises.push(r);
  const nodeArgs = ['--redis', r.url, '--seed', String(SEED), '--sections', String(SECTIONS), ...args];
  const [a, b] = await Promise.all([startNode(nodeArgs), startNode(nodeArgs)]);
  const watched = await sixAnswers(a, b);
  await Promise.all(
    watched.map((w) =>
      w.follower.waitFor(isType('delta', (d) => d.messageId === w.messageId && d.seq >= 20)),
    ),
  );
  return { r, a, b, watched };
}

/** Every answer ends `stop` with its exact text and last seq, for its asker and its follower alike. */
async function allExact(watched: readonly Watched[]): Promise<void> {
  for (const w of watched) {
    const full = mockAnswerFor(w.question, 0, SEED, SECTIONS);
    for (const peer of [w.asker, w.follower]) {
      const done = await endOf(peer, w.messageId);
      assert.equal(done.finishReason, 'stop');
      const answer = answerText(peer.frames, w.messageId);
      assert.equal(answer.text, full, `${w.question} is exact`);
      assert.equal(answer.seq, done.seq);
    }
  }
}

async function healthStatus(n: ServerNode): Promise<number> {
  return (await fetch(`http://127.0.0.1:${n.port}/healthz`)).status;
}

/** Polls /healthz on both nodes while `during` runs; resolves with every status seen. */
async function watchHealth(nodes: ServerNode[], during: Promise<void>): Promise<Set<number>> {
  const seen = new Set<number>();
  let running = true;
  void during.finally(() => {
    running = false;
  });
  while (running) {
    for (const n of nodes) seen.add(await healthStatus(n));
    await sleep(200);
  }
  return seen;
}

async function endOf(peer: Peer, messageId: string) {
  return peer.waitFor(
    isType('done', (d) => d.messageId === messageId),
    { timeoutMs: 60_000 },
  );
}

describe('Redis outages', () => {
  it('a 6 s stall (SIGSTOP) loses nothing: all six answers finish exactly on both nodes', async () => {
    const { r, a, b, watched } = await sixAnswersStreaming(['--rate', '60']);
    const stall = (async () => {
      process.kill(r.pid as number, 'SIGSTOP');
      // A real wait: how long Redis stalls is what this tests.
      await sleep(6000);
      process.kill(r.pid as number, 'SIGCONT');
    })();
    const statuses = await watchHealth([a, b], stall);
    assert.ok(statuses.has(503), `/healthz said degraded during the stall (saw ${[...statuses]})`);
    await allExact(watched);
    for (const n of [a, b]) assert.equal(await healthStatus(n), 200);
    for (const w of watched) for (const p of [w.asker, w.follower]) p.close();
  });

  it('a restart within the grace (SIGKILL, back after 3 s) loses nothing on both nodes', async () => {
    const { r, a, b, watched } = await sixAnswersStreaming(['--rate', '60']);
    const restart = (async () => {
      await r.stop(true);
      // A real wait: how long Redis is down is what this tests.
      await sleep(3000);
      await r.start();
    })();
    const statuses = await watchHealth([a, b], restart);
    assert.ok(statuses.has(503), `/healthz said degraded while Redis was down (saw ${[...statuses]})`);
    await allExact(watched);
    // What Redis kept says the same: a fresh client on either node gets every answer whole.
    for (const w of watched) {
      const back = await hello(b, (w.asker.frames[0] as Welcome).conversationId);
      const entry = (back.frames[0] as Welcome).history.find((m) => m.id === w.messageId);
      assert.equal(entry?.text, mockAnswerFor(w.question, 0, SEED, SECTIONS));
      assert.equal(entry?.finishReason, 'stop');
      back.close();
    }
    for (const w of watched) for (const p of [w.asker, w.follower]) p.close();
  });

  it('an outage longer than the grace ends live answers interrupted (never cancelled), text kept', async () => {
    const { r, a, b, watched } = await sixAnswersStreaming(['--redis-grace-ms', '2000', '--rate', '40']);
    await r.stop(true);
    for (const w of watched) {
      const done = await endOf(w.asker, w.messageId);
      assert.equal(done.finishReason, 'interrupted', `${w.question} on its generating node`);
      const text = answerText(w.asker.frames, w.messageId).text;
      const full = mockAnswerFor(w.question, 0, SEED, SECTIONS);
      assert.ok(text.length > 0 && text.length < full.length && full.startsWith(text), 'partial text, kept');
    }
    // A real wait: the outage goes on past the answers' end, so their ends are written only once Redis is back.
    await sleep(1000);
    await r.start();
    // Once Redis is back, the stored history says interrupted too, with a prefix of the answer.
    for (const w of watched) {
      const conversationId = (w.asker.frames[0] as Welcome).conversationId;
      const full = mockAnswerFor(w.question, 0, SEED, SECTIONS);
      let asked = 0;
      const entry = await waitUntil(
        async () => {
          const back = await hello(asked++ % 2 === 0 ? a : b, conversationId).catch(() => undefined);
          const welcome = back?.frames[0] as Welcome | undefined;
          back?.close();
          const stored = welcome?.history.find((m) => m.id === w.messageId);
          return stored?.finishReason !== undefined && stored;
        },
        'the stored history to say how the answer ended',
        30_000,
        200,
      );
      assert.equal(entry.finishReason, 'interrupted');
      assert.ok(full.startsWith(entry.text ?? '\u0000'), 'the stored text is what was streamed');
    }
    for (const w of watched) for (const p of [w.asker, w.follower]) p.close();
  });
});
