/**
 * A Redis reply lost to a cut, one state change at a time: the node's link to
 * Redis runs through a proxy that passes the chosen command, lets Redis run
 * it, and cuts before the reply comes back. The client library then sends the
 * command again on the next connection, so every write the generating node
 * makes must come out the same when it runs twice: storing a question, taking
 * the generation lease, taking the question from the queue, starting its
 * answer, ending it, and cancelling a queued question. Each case checks what
 * the asker sees (its question answered, once, exactly), what a client
 * arriving later is welcomed with, and what Redis holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';
import { RedisCutProxy } from './redis-cut-proxy.js';

const SEED = 11;
const SECTIONS = 1;
/** Long enough to see an answer stream, short enough for six cases. */
const WAIT_MS = 20_000;

/** The first key a command names: a script's first KEYS entry, or a plain command's first argument. */
function firstKey([name, ...rest]: string[]): string | undefined {
  if (name === 'evalsha' || name === 'eval') return Number(rest[1]) > 0 ? rest[2] : undefined;
  return rest[0];
}

/** A script of this conversation run with `keyCount` keys, the first ending `suffix`. */
const script =
  (conversationId: string, keyCount: number, suffix: string) =>
  (command: string[]): boolean =>
    (command[0] === 'evalsha' || command[0] === 'eval') &&
    Number(command[2]) === keyCount &&
    firstKey(command)?.endsWith(`{${conversationId}}:${suffix}`) === true;

let redis: RedisProcess;
let cutter: RedisCutProxy;
let node: ServerNode;
let checker: Redis;

before(async () => {
  redis = await startRedisProcess();
  cutter = new RedisCutProxy(redis.port);
  const port = await cutter.listen();
  node = await startNode([
    '--redis',
    `redis://127.0.0.1:${port}`,
    '--rate',
    '400',
    '--seed',
    String(SEED),
    '--sections',
    String(SECTIONS),
  ]);
  checker = new Redis(redis.url);
  // Every script the cases cut is loaded once first, so the command cut is the one that does the work
  // (not an EVALSHA refused as unknown and sent again as EVAL).
  const warm = await welcomed(node.wsUrl);
  warm.send({ type: 'send', clientMsgId: 'w0', text: 'warm-up' });
  await warm.waitFor(isType('start'), { timeoutMs: WAIT_MS });
  warm.send({ type: 'send', clientMsgId: 'w1', text: 'queued' });
  const queued = await warm.waitFor(isType('user', (u) => u.clientMsgId === 'w1'));
  warm.send({ type: 'cancel', messageId: queued.messageId });
  await warm.waitFor(
    isType('done', (d) => d.finishReason === 'cancelled'),
    { timeoutMs: WAIT_MS },
  );
  await warm.waitFor(
    isType('done', (d) => d.finishReason === 'stop'),
    { timeoutMs: WAIT_MS },
  );
  warm.close();
});

after(async () => {
  checker?.disconnect();
  await stopAll();
  await cutter?.close();
  await redis?.close();
});

/** The asker's answer to `clientMsgId`: once, in order, exact, ended `finishReason`. */
async function answered(asker: Peer, clientMsgId: string, turn: number, finishReason = 'stop') {
  const user = await asker.waitFor(
    isType('user', (u) => u.clientMsgId === clientMsgId),
    { timeoutMs: WAIT_MS },
  );
  const start = await asker.waitFor(
    isType('start', (s) => s.replyTo === user.messageId),
    { timeoutMs: WAIT_MS },
  );
  const done = await asker.waitFor(
    isType('done', (d) => d.messageId === start.messageId),
    { timeoutMs: WAIT_MS },
  );
  assert.equal(done.finishReason, finishReason);
  const users = asker.frames.filter((f) => f.type === 'user' && f.clientMsgId === clientMsgId);
  const starts = asker.frames.filter((f) => f.type === 'start' && f.replyTo === user.messageId);
  assert.equal(users.length, 1, 'the question is announced once');
  assert.equal(starts.length, 1, 'it gets one answer');
  const answer = answerText(asker.frames, start.messageId, { strict: true });
  if (finishReason === 'stop') assert.equal(answer.text, mockAnswerFor('', turn, SEED, SECTIONS));
  else assert.equal(answer.text, '');
  return { userId: user.messageId, answerId: start.messageId, seq: done.seq, text: answer.text };
}

/** What a client arriving now is welcomed with, and what Redis holds: each message once. */
async function storedOnce(conversationId: string, expected: { id: string; text: string }[]) {
  const late = await welcomed(node.wsUrl, { hello: { conversationId } });
  const { history } = late.frames[0] as Welcome;
  late.close();
  assert.deepEqual(
    history.map((m) => m.id),
    expected.map((m) => m.id),
    'the welcome holds each message once, in order',
  );
  for (const m of expected) assert.equal(history.find((h) => h.id === m.id)?.text, m.text);
  const order = await checker.lrange(`aisc:{${conversationId}}:order`, 0, -1);
  assert.deepEqual(
    order,
    expected.map((m) => m.id),
    "Redis's order holds each message once",
  );
}

async function askWithLostReply(
  label: string,
  matches: (conversationId: string) => (c: string[]) => boolean,
) {
  const asker = await welcomed(node.wsUrl);
  const { conversationId } = asker.frames[0] as Welcome;
  const lostBefore = cutter.lostReplies;
  cutter.loseReplyTo(matches(conversationId));
  asker.send({ type: 'send', clientMsgId: 'q0', text: label });
  const answer = await answered(asker, 'q0', 0);
  assert.equal(cutter.lostReplies, lostBefore + 1, `the reply to ${label} was lost`);
  const entries = await checker.xrange(`aisc:{${conversationId}}:d:${answer.answerId}`, '-', '+');
  assert.deepEqual(
    entries.filter(([id]) => id.endsWith('-0')).map(([id]) => Number(id.split('-')[0])),
    Array.from({ length: answer.seq }, (_, k) => k + 1),
    "the answer's stream holds each delta once, in order",
  );
  await storedOnce(conversationId, [
    { id: answer.userId, text: label },
    { id: answer.answerId, text: answer.text },
  ]);
  asker.close();
}

describe('a Redis reply lost to a cut: each write of the generating node, run twice, comes out once', () => {
  it('storing the question', () => askWithLostReply('storing the question', (c) => script(c, 6, 'meta')));

  it('taking the generation lease', () =>
    askWithLostReply(
      'taking the lease',
      (c) => (command) => firstKey(command)?.endsWith(`{${c}}:lease`) === true,
    ));

  it('taking the question from the queue', () =>
    askWithLostReply('taking the question', (c) => script(c, 3, 'queue')));

  it('starting the answer', () => askWithLostReply('starting the answer', (c) => script(c, 5, 'order')));

  it('ending the answer', () => askWithLostReply('ending the answer', (c) => script(c, 6, 'msgs')));

  it('cancelling a queued question', async () => {
    const asker = await welcomed(node.wsUrl);
    const { conversationId } = asker.frames[0] as Welcome;
    asker.send({ type: 'send', clientMsgId: 'q0', text: 'first' });
    await asker.waitFor(isType('start'), { timeoutMs: WAIT_MS });
    asker.send({ type: 'send', clientMsgId: 'q1', text: 'queued' });
    const queued = await asker.waitFor(isType('user', (u) => u.clientMsgId === 'q1'));
    const lostBefore = cutter.lostReplies;
    cutter.loseReplyTo(script(conversationId, 5, 'queue'));
    asker.send({ type: 'cancel', messageId: queued.messageId });
    const first = await answered(asker, 'q0', 0);
    const cancelled = await answered(asker, 'q1', 1, 'cancelled');
    assert.equal(cutter.lostReplies, lostBefore + 1, 'the reply to the cancel was lost');
    await storedOnce(conversationId, [
      { id: first.userId, text: 'first' },
      { id: first.answerId, text: first.text },
      { id: cancelled.userId, text: 'queued' },
      { id: cancelled.answerId, text: '' },
    ]);
    asker.close();
  });
});
