/**
 * Redis Cluster failover under a live answer: two nodes on a cluster of 3
 * masters and 3 replicas; the answer is generated on node A and followed on
 * node B; the master holding the conversation's hash slot is killed
 * (SIGKILL) mid-answer. Its replica is promoted, and the answer ends `stop`
 * with its exact text for both clients, no delta twice, none missing; a
 * later welcome carries the same text. What the clients saw (the longest
 * pause between deltas, snapshots) is printed, not asserted. Then the
 * generating node itself is killed: the other node ends its answer
 * `interrupted` with the text streamed so far.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisClusterProcesses, startRedisCluster } from '../../scripts/redis-process.mjs';
import { isType } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { waitUntil, welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';

const SEED = 7;
const SECTIONS = 3;

/** The port of the master serving `key`'s slot, from a node's CLUSTER NODES. */
async function masterOf(admin: Redis, key: string): Promise<number> {
  const slot = Number(await admin.cluster('KEYSLOT', key));
  const nodes = (await admin.cluster('NODES')) as string;
  for (const line of nodes.trim().split('\n')) {
    const [, address = '', flags = '', , , , , , ...ranges] = line.split(' ');
    if (!flags.includes('master') || flags.includes('fail')) continue;
    for (const range of ranges) {
      const [from, to = from] = range.split('-').map(Number);
      if (from !== undefined && to !== undefined && slot >= from && slot <= to) {
        return Number(address.split('@')[0]?.split(':')[1]);
      }
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

/** The longest wait between two deltas of `messageId` a client received, in ms. */
function longestPause(times: number[]): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return longest;
}

describe('Redis Cluster: the master holding a live answer fails over', () => {
  let cluster: RedisClusterProcesses;
  let a: ServerNode;
  let b: ServerNode;
  before(async () => {
    cluster = await startRedisCluster({ nodeTimeoutMs: 2000 });
    const args = [
      ...['--redis-cluster', cluster.seeds.join(','), '--rate', '60', '--seed', String(SEED)],
      ...['--sections', String(SECTIONS), '--heartbeat-ms', '600000'],
    ];
    [a, b] = await Promise.all([startNode(args), startNode(args)]);
  });
  after(async () => {
    await stopAll();
    await cluster.close();
  });

  it('its replica is promoted; the answer ends stop, exact for the generating and the following node', async () => {
    const question = 'through a failover';
    const asker = await welcomed(a.wsUrl);
    const { conversationId } = asker.frames[0] as Welcome;
    const follower = await welcomed(b.wsUrl, { hello: { conversationId } });
    const arrivals = new Map<unknown, number[]>();
    for (const peer of [asker, follower]) {
      const times: number[] = [];
      arrivals.set(peer, times);
      peer.socket.on('message', () => times.push(Date.now()));
    }
    asker.send({ type: 'send', clientMsgId: 'q', text: question });
    const start = await asker.waitFor(isType('start'));
    for (const peer of [asker, follower]) {
      await peer.waitFor(
        isType('delta', (d) => d.messageId === start.messageId && d.seq >= 30),
        {
          timeoutMs: 30_000,
        },
      );
    }

    const [firstSeed = ''] = cluster.seeds;
    const admin = new Redis(Number(firstSeed.split(':')[1]), '127.0.0.1');
    const key = `aisc:{${conversationId}}:msgs`;
    const port = await masterOf(admin, key);
    admin.disconnect();
    const master = cluster.nodes.find((n) => n.port === port);
    assert.ok(master, `the master on ${port} is one of ours`);
    await master.stop(true);

    const survivor = cluster.nodes.find((n) => n !== master);
    assert.ok(survivor);
    const watcher = new Redis(survivor.port, '127.0.0.1');
    try {
      const promoted = await waitUntil(
        async () => {
          const now = await masterOf(watcher, key).catch(() => undefined);
          return now !== undefined && now !== port ? now : undefined;
        },
        'a replica to take over the slot',
        30_000,
        200,
      );
      assert.notEqual(promoted, port);
    } finally {
      watcher.disconnect();
    }

    const expected = mockAnswerFor(question, 0, SEED, SECTIONS);
    for (const peer of [asker, follower]) {
      const done = await peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: 60_000,
        },
      );
      const applied = answerText(peer.frames, start.messageId, { strict: true });
      assert.equal(done.finishReason, 'stop');
      assert.equal(applied.text, expected, 'no acknowledged text lost or doubled');
      assert.equal(applied.seq, done.seq);
      process.stdout.write(
        `# ${peer === asker ? 'generating' : 'following'} node's client: longest pause ${longestPause(arrivals.get(peer) ?? [])} ms, ${applied.snapshots} snapshots\n`,
      );
    }
    asker.close();
    follower.close();

    const later = await welcomed(b.wsUrl, { hello: { conversationId } });
    const stored = (later.frames[0] as Welcome).history.find((m) => m.id === start.messageId);
    assert.deepEqual([stored?.text, stored?.finishReason], [expected, 'stop'], 'stored as streamed');
    later.close();
  });

  it('SIGKILL of the generating node: the other node ends the answer interrupted, the text streamed kept', async () => {
    const question = 'until the node dies';
    const asker = await welcomed(a.wsUrl);
    const { conversationId } = asker.frames[0] as Welcome;
    const follower = await welcomed(b.wsUrl, { hello: { conversationId } });
    asker.send({ type: 'send', clientMsgId: 'q', text: question });
    const start = await asker.waitFor(isType('start'));
    await follower.waitFor(
      isType('delta', (d) => d.messageId === start.messageId && d.seq >= 20),
      {
        timeoutMs: 30_000,
      },
    );
    await a.stop('SIGKILL');
    const done = await follower.waitFor(
      isType('done', (d) => d.messageId === start.messageId),
      {
        timeoutMs: 60_000,
      },
    );
    const applied = answerText(follower.frames, start.messageId, { strict: true });
    const full = mockAnswerFor(question, 0, SEED, SECTIONS);
    assert.equal(done.finishReason, 'interrupted');
    assert.ok(applied.text.length > 0 && applied.text.length < full.length, 'partial text');
    assert.ok(full.startsWith(applied.text), 'the text streamed before the kill, exactly');
    follower.close();
    const later = await welcomed(b.wsUrl, { hello: { conversationId } });
    const stored = (later.frames[0] as Welcome).history.find((m) => m.id === start.messageId);
    assert.deepEqual([stored?.text, stored?.finishReason], [applied.text, 'interrupted']);
    later.close();
  });
});
