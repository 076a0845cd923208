/**
 * PROTOCOL.md section 12: several tabs or devices on one conversation, and
 * cancelling a question that waits in the queue. The same steps run against
 * one in-memory node, against two nodes sharing Redis (each tab on its
 * own node, as a load balancer without sticky sessions places them), and
 * against two nodes on a Redis Cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type RedisClusterProcesses,
  type RedisProcess,
  startRedisCluster,
  startRedisProcess,
} from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import type { ServerFrame } from '../../src/protocol/index.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';

/** Mock answers of three sections at 200 tokens/s: a few seconds each, time enough to queue behind. */
const NODE_ARGS = ['--rate', '200', '--sections', '3', '--heartbeat-ms', '60000'];

interface Setup {
  /** Chat URLs of the nodes the first and the second tab connect to. */
  urls(): Promise<[string, string]>;
  /** Same, for nodes with `--follow-up interrupt`. */
  interruptUrls(): Promise<[string, string]>;
}

async function twoTabs([urlA, urlB]: [string, string]): Promise<{
  a: Peer;
  b: Peer;
  conversationId: string;
}> {
  const a = await welcomed(urlA);
  const conversationId = (a.frames[0] as Welcome).conversationId;
  const b = await welcomed(urlB, { hello: { conversationId } });
  return { a, b, conversationId };
}

const indexOf = (peer: Peer, frame: ServerFrame): number => peer.frames.indexOf(frame);

function severalTabs(setup: Setup): void {
  it('a question sent in one tab reaches the other live, before its answer; both stream it; Stop in the other tab stops it', async () => {
    const { a, b } = await twoTabs(await setup.urls());
    a.send({ type: 'send', clientMsgId: 'q1', text: 'first question' });
    const user = await b.waitFor(isType('user', (u) => u.clientMsgId === 'q1'));
    assert.equal(user.text, 'first question');
    const ack = await a.waitFor(isType('ack', (x) => x.clientMsgId === 'q1'));
    assert.equal(ack.messageId, user.messageId, 'the frame names the message the ack names');
    const start = await b.waitFor(isType('start', (s) => s.replyTo === user.messageId));
    assert.ok(indexOf(b, user) < indexOf(b, start), 'the question comes before its answer');
    for (const tab of [a, b]) {
      await tab.waitFor(isType('delta', (d) => d.messageId === start.messageId && d.seq >= 3));
    }
    b.send({ type: 'cancel', messageId: start.messageId });
    const ends = await Promise.all(
      [a, b].map((tab) => tab.waitFor(isType('done', (d) => d.messageId === start.messageId))),
    );
    for (const done of ends) assert.equal(done.finishReason, 'cancelled');
    assert.equal(ends[0]?.seq, ends[1]?.seq);
    assert.equal(answerText(a.frames, start.messageId).text, answerText(b.frames, start.messageId).text);
    a.close();
    b.close();
  });

  it('a queued question is cancelled by its id: its answer starts and ends at once, empty, in every tab; the answer before it goes on', async () => {
    const urls = await setup.urls();
    const { a, b, conversationId } = await twoTabs(urls);
    a.send({ type: 'send', clientMsgId: 'q1', text: 'first' });
    const first = await a.waitFor(isType('start'));
    a.send({ type: 'send', clientMsgId: 'q2', text: 'second' });
    const queued = await a.waitFor(isType('ack', (x) => x.clientMsgId === 'q2'));
    assert.equal(queued.queuePosition, 1);
    const seen = await b.waitFor(isType('user', (u) => u.clientMsgId === 'q2'));
    assert.equal(seen.queuePosition, 1, 'the other tab knows it waits');

    b.send({ type: 'cancel', messageId: seen.messageId });
    for (const tab of [a, b]) {
      const start = await tab.waitFor(isType('start', (s) => s.replyTo === seen.messageId));
      const done = await tab.waitFor(isType('done', (d) => d.messageId === start.messageId));
      assert.deepEqual([done.finishReason, done.seq], ['cancelled', 0]);
      assert.ok(
        !tab.frames.some((f) => f.type === 'done' && f.messageId === first.messageId),
        'it ended while the answer before it was still streaming',
      );
      assert.ok(!tab.frames.some((f) => f.type === 'delta' && f.messageId === start.messageId));
    }
    const firstDone = await a.waitFor(
      isType('done', (d) => d.messageId === first.messageId),
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(firstDone.finishReason, 'stop');
    // Repeating the cancel is harmless; nothing else starts.
    const from = a.frames.length;
    a.send({ type: 'cancel', messageId: seen.messageId });
    a.send({ type: 'ping' });
    await a.waitFor(isType('pong'), { from });
    assert.ok(!a.frames.slice(from).some((f) => f.type === 'error' || f.type === 'start'));
    a.close();
    b.close();

    const later = await welcomed(urls[1], { hello: { conversationId } });
    const history = (later.frames[0] as Welcome).history;
    const cancelled = history.find((m) => m.replyTo === seen.messageId);
    assert.deepEqual(
      { text: cancelled?.text, seq: cancelled?.seq, finishReason: cancelled?.finishReason },
      { text: '', seq: 0, finishReason: 'cancelled' },
    );
    assert.equal(history.filter((m) => m.role === 'assistant').length, 2);
    later.close();
  });

  it('the queue bound holds across tabs: past 4 waiting, a send gets busy in either tab, a resend of a taken one its ack', async () => {
    const { a, b } = await twoTabs(await setup.urls());
    a.send({ type: 'send', clientMsgId: 'q1', text: 'first' });
    const first = await a.waitFor(isType('start'));
    const acks = new Map<string, string>();
    // Four wait behind the answer, sent from both tabs (so, on Redis, through both nodes).
    for (const [tab, id] of [
      [a, 'q2'],
      [b, 'q3'],
      [a, 'q4'],
      [b, 'q5'],
    ] as const) {
      tab.send({ type: 'send', clientMsgId: id, text: `question ${id}` });
      const ack = await tab.waitFor(isType('ack', (x) => x.clientMsgId === id));
      acks.set(id, ack.messageId);
    }
    for (const [tab, id] of [
      [b, 'q6'],
      [a, 'q7'],
    ] as const) {
      tab.send({ type: 'send', clientMsgId: id, text: `question ${id}` });
      const busy = await tab.waitFor(isType('error', (e) => e.clientMsgId === id));
      assert.deepEqual([busy.code, busy.retryable], ['busy', true], `${id} is refused`);
      assert.ok(!tab.frames.some((f) => f.type === 'ack' && f.clientMsgId === id), `${id} is not taken`);
    }
    // A resend of a message already taken is no new message: acknowledged again, not refused.
    const from = b.frames.length;
    b.send({ type: 'send', clientMsgId: 'q5', text: 'question q5' });
    const again = await b.waitFor(
      isType('ack', (x) => x.clientMsgId === 'q5'),
      { from },
    );
    assert.equal(again.messageId, acks.get('q5'));
    // One answered (here: stopped), one place is free again.
    a.send({ type: 'cancel', messageId: first.messageId });
    await b.waitFor(isType('start', (s) => s.replyTo === acks.get('q2')));
    b.send({ type: 'send', clientMsgId: 'q6', text: 'question q6' });
    const taken = await b.waitFor(isType('ack', (x) => x.clientMsgId === 'q6'));
    assert.equal(taken.queuePosition, 4);
    for (const tab of [a, b]) {
      await tab.waitFor(isType('user', (u) => u.clientMsgId === 'q6'));
      const users = (id: string) => tab.frames.filter((f) => f.type === 'user' && f.clientMsgId === id);
      assert.equal(users('q6').length, 1, 'q6 is stored once, when it was taken');
      assert.equal(users('q7').length, 0, 'q7 was never stored');
    }
    a.close();
    b.close();
  });

  it('cancelling the question being answered stops its answer, under the queue and the interrupt policy', async () => {
    const interruptUrls = await setup.interruptUrls();
    for (const urls of [await setup.urls(), interruptUrls]) {
      const { a, b } = await twoTabs(urls);
      a.send({ type: 'send', clientMsgId: 'q0', text: 'zeroth' });
      await a.waitFor(isType('start'));
      a.send({ type: 'send', clientMsgId: 'q1', text: 'first' });
      const user = await b.waitFor(isType('user', (u) => u.clientMsgId === 'q1'));
      const interrupting = urls === interruptUrls;
      // Behind an answer being written: waits under `queue`, comes next under `interrupt`.
      assert.equal(user.queuePosition, interrupting ? 0 : 1);
      if (!interrupting) {
        const zeroth = await b.waitFor(isType('start'));
        b.send({ type: 'cancel', messageId: zeroth.messageId });
      }
      const start = await b.waitFor(isType('start', (s) => s.replyTo === user.messageId));
      await a.waitFor(isType('delta', (d) => d.messageId === start.messageId));
      b.send({ type: 'cancel', messageId: user.messageId });
      const done = await a.waitFor(isType('done', (d) => d.messageId === start.messageId));
      assert.equal(done.finishReason, 'cancelled');
      a.close();
      b.close();
    }
  });
}

describe('several tabs and queued cancels, in memory (PROTOCOL.md section 12)', () => {
  let queue: ServerNode;
  let interrupt: ServerNode;
  before(async () => {
    [queue, interrupt] = await Promise.all([
      startNode(NODE_ARGS),
      startNode([...NODE_ARGS, '--follow-up', 'interrupt']),
    ]);
  });
  after(() => stopAll());
  severalTabs({
    urls: async () => [queue.wsUrl, queue.wsUrl],
    interruptUrls: async () => [interrupt.wsUrl, interrupt.wsUrl],
  });
});

describe('several tabs and queued cancels, two nodes on Redis (PROTOCOL.md section 12)', () => {
  let redis: RedisProcess;
  let nodes: ServerNode[];
  before(async () => {
    redis = await startRedisProcess();
    const args = [...NODE_ARGS, '--redis', redis.url];
    nodes = await Promise.all([
      startNode(args),
      startNode(args),
      startNode([...args, '--follow-up', 'interrupt']),
      startNode([...args, '--follow-up', 'interrupt']),
    ]);
  });
  after(async () => {
    await stopAll();
    await redis.close();
  });
  severalTabs({
    urls: async () => [nodes[0]?.wsUrl as string, nodes[1]?.wsUrl as string],
    interruptUrls: async () => [nodes[2]?.wsUrl as string, nodes[3]?.wsUrl as string],
  });
});

describe('several tabs and queued cancels, two nodes on a Redis Cluster (PROTOCOL.md section 12)', () => {
  let cluster: RedisClusterProcesses;
  let nodes: ServerNode[];
  before(async () => {
    cluster = await startRedisCluster();
    const args = [...NODE_ARGS, '--redis-cluster', cluster.seeds.join(',')];
    nodes = await Promise.all([
      startNode(args),
      startNode(args),
      startNode([...args, '--follow-up', 'interrupt']),
      startNode([...args, '--follow-up', 'interrupt']),
    ]);
  });
  after(async () => {
    await stopAll();
    await cluster.close();
  });
  severalTabs({
    urls: async () => [nodes[0]?.wsUrl as string, nodes[1]?.wsUrl as string],
    interruptUrls: async () => [nodes[2]?.wsUrl as string, nodes[3]?.wsUrl as string],
  });
});
