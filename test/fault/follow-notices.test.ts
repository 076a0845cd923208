/**
 * A node publishes an answer's deltas for the other nodes only while one of
 * them follows it: an answer nobody else relays costs Redis one command per
 * delta (its XADD), not two. Heard on the conversation's delta channel by a
 * plain Redis subscriber: an answer with no follower publishes only its end;
 * once a client on another node follows the answer mid-stream (that node says
 * so on the conversation's follow channel), every later delta is published,
 * each once, in order, and the follower's client gets the answer exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { RedisKeys } from '../../src/server/store/redis/redis-keys.js';
import type { DeltaEvent } from '../../src/server/store/redis/redis-store.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { waitUntil, welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';

const SEED = 3;
const SECTIONS = 3;
const ARGS = ['--rate', '100', '--seed', String(SEED), '--sections', String(SECTIONS)];
/** Deltas the asker has before another node's client starts following. */
const FOLLOW_AFTER = 5;

/** What the conversation's delta channel carries, as a plain subscriber hears it. */
async function hearDeltaChannel(redisUrl: string, conversationId: string) {
  const listener = new Redis(redisUrl);
  const heard: DeltaEvent[] = [];
  listener.on('message', (_channel: string, message: string) => heard.push(JSON.parse(message)));
  await listener.subscribe(new RedisKeys('aisc').deltaEvents(conversationId));
  // Deltas are published before the end, on one connection: once the end is heard, so is every delta.
  const heardEnd = () =>
    waitUntil(() => heard.some((e) => e.t === 'e'), 'the answer end on the delta channel');
  return { heard, heardEnd, close: () => listener.disconnect() };
}

describe('follow notices: deltas are published only while another node follows', () => {
  let redis: RedisProcess;
  let a: ServerNode;
  let b: ServerNode;
  before(async () => {
    redis = await startRedisProcess();
    [a, b] = await Promise.all([
      startNode(['--redis', redis.url, ...ARGS]),
      startNode(['--redis', redis.url, ...ARGS]),
    ]);
  });
  after(async () => {
    await stopAll();
    await redis.close();
  });

  async function ask(question: string) {
    const asker: Peer = await welcomed(a.wsUrl, { hello: {} });
    const { conversationId } = asker.frames[0] as Welcome;
    const channel = await hearDeltaChannel(redis.url, conversationId);
    asker.send({ type: 'send', clientMsgId: 'q1', text: question });
    const { messageId } = await asker.waitFor(isType('start'));
    return { asker, conversationId, messageId, channel };
  }

  it('an answer nobody else follows publishes its end and no delta', async () => {
    const question = 'unfollowed';
    const { asker, messageId, channel } = await ask(question);
    try {
      const done = await asker.waitFor(isType('done', (d) => d.messageId === messageId));
      assert.equal(
        answerText(asker.frames, messageId, { strict: true }).text,
        mockAnswerFor(question, 0, SEED, SECTIONS),
      );
      assert.ok(done.seq > FOLLOW_AFTER, 'the answer had deltas');
      await channel.heardEnd();
      assert.deepEqual(
        channel.heard.map((e) => e.t),
        ['e'],
      );
    } finally {
      asker.close();
      channel.close();
    }
  });

  it('once another node follows, every later delta is published once, in order', async () => {
    const question = 'followed';
    const { asker, conversationId, messageId, channel } = await ask(question);
    let follower: Peer | undefined;
    try {
      await asker.waitFor(isType('delta', (d) => d.messageId === messageId && d.seq >= FOLLOW_AFTER));
      follower = await welcomed(b.wsUrl, { hello: { conversationId } });
      const full = mockAnswerFor(question, 0, SEED, SECTIONS);
      const done = await asker.waitFor(isType('done', (d) => d.messageId === messageId));
      await follower.waitFor(isType('done', (d) => d.messageId === messageId));
      assert.equal(answerText(asker.frames, messageId, { strict: true }).text, full);
      assert.equal(answerText(follower.frames, messageId, { strict: true }).text, full);

      await channel.heardEnd();
      const published = channel.heard.flatMap((e) => (e.t === 'd' ? [e.s] : []));
      const first = published[0];
      assert.ok(first !== undefined, 'deltas were published once the follower joined');
      assert.ok(first > FOLLOW_AFTER, `none before the follower joined (first published: ${first})`);
      assert.deepEqual(
        published,
        Array.from({ length: done.seq - first + 1 }, (_, k) => first + k),
        'every delta after the first published one, once, in order',
      );
      assert.equal(channel.heard.at(-1)?.t, 'e');
    } finally {
      asker.close();
      follower?.close();
      channel.close();
    }
  });
});
