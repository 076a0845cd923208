/**
 * PROTOCOL.md section 15, answer feedback, as a protocol peer sees it: a
 * verdict on an ended answer reaches every socket on the conversation, is
 * kept with the answer (in memory; in Redis, where another node reads it),
 * comes back in the welcome's history, and reaches the library's
 * `onFeedback` hook once per change. Feedback on a question, an unknown id
 * or an answer still streaming is refused, and nothing is recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import type { ChatFeedback, TokenSource } from '../../src/server/index.js';
import type { Welcome } from '../helpers/frames.js';
import { waitUntil, welcomed, withServer, wsUrlOf } from '../helpers/kit.js';

/** Answers "You said: <question>" at once, but holds a question starting with "hold" until `release()`. */
function heldSource(): { source: TokenSource; release(): void } {
  let release = (): void => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    source: {
      async *generate({ messages }) {
        const question = messages.at(-1)?.content ?? '';
        yield 'You said: ';
        if (question.startsWith('hold')) await held;
        yield question;
        return { finishReason: 'stop', usage: null };
      },
    },
  };
}

/** Asks `text` and resolves with the answer's id once it has ended. */
async function answered(peer: Peer, clientMsgId: string, text: string): Promise<string> {
  peer.send({ type: 'send', clientMsgId, text });
  const ack = await peer.waitFor(isType('ack', (a) => a.clientMsgId === clientMsgId));
  const start = await peer.waitFor(isType('start', (s) => s.replyTo === ack.messageId));
  await peer.waitFor(isType('done', (d) => d.messageId === start.messageId));
  return start.messageId;
}

/** The frames `peer` got after `from`, up to the pong of a ping sent now (everything the server sent before it). */
async function framesUntilPong(peer: Peer, from: number): Promise<string[]> {
  peer.send({ type: 'ping' });
  const pong = await peer.waitFor(isType('pong'), { from });
  return peer.frames.slice(from, peer.frames.indexOf(pong)).map((f) => JSON.stringify(f));
}

const entryOf = (welcome: Welcome, id: string) => welcome.history.find((m) => m.id === id);

interface Nodes {
  /** Chat URLs of the node the first tab uses, the second tab's, and one that opens the conversation afresh. */
  urls: [string, string, string];
  hooked: ChatFeedback[];
}

function feedbackChecks(setup: () => Nodes): void {
  it('a verdict reaches every tab once per change, is kept with the answer, comes back in welcomes, and reaches onFeedback', async () => {
    const { urls, hooked } = setup();
    const a = await welcomed(urls[0]);
    const conversationId = (a.frames[0] as Welcome).conversationId;
    const b = await welcomed(urls[1], { hello: { conversationId } });
    try {
      const answer = await answered(a, 'q1', 'how are you?');
      const hookedBefore = hooked.length;

      const fromB = b.frames.length;
      a.send({ type: 'feedback', messageId: answer, value: 'up' });
      for (const tab of [a, b]) {
        const frame = await tab.waitFor(isType('feedback', (f) => f.messageId === answer));
        assert.equal(frame.value, 'up');
      }
      await waitUntil(() => hooked.length > hookedBefore, 'the onFeedback hook');
      assert.deepEqual(hooked.at(-1), {
        conversationId,
        messageId: answer,
        value: 'up',
        answer: 'You said: how are you?',
        finishReason: 'stop',
        question: 'how are you?',
      });

      // The same verdict again changes nothing: no frame, no call.
      const fromA = a.frames.length;
      a.send({ type: 'feedback', messageId: answer, value: 'up' });
      assert.deepEqual(await framesUntilPong(a, fromA), []);
      assert.equal(hooked.length, hookedBefore + 1);

      b.send({ type: 'feedback', messageId: answer, value: 'down' });
      for (const tab of [a, b]) {
        const down = await tab.waitFor(isType('feedback', (f) => f.value === 'down'));
        assert.equal(down.messageId, answer);
      }
      await waitUntil(() => hooked.length > hookedBefore + 1, 'the second call');
      assert.equal(hooked.at(-1)?.value, 'down');
      assert.equal(b.frames.slice(fromB).filter((f) => f.type === 'feedback').length, 2);

      // A reload, on every node (the third opens the conversation from the store).
      for (const [node, url] of urls.entries()) {
        const reloaded = await welcomed(url, { hello: { conversationId } });
        const welcome = reloaded.frames[0] as Welcome;
        assert.equal(entryOf(welcome, answer)?.feedback, 'down', `the welcome of node ${node}`);
        reloaded.close();
      }

      a.send({ type: 'feedback', messageId: answer, value: null });
      const cleared = await b.waitFor(isType('feedback', (f) => f.value === null));
      assert.equal(cleared.messageId, answer);
      await waitUntil(() => hooked.at(-1)?.value === null, 'the call for the verdict taken back');
      const reloaded = await welcomed(urls[2], { hello: { conversationId } });
      const entry = entryOf(reloaded.frames[0] as Welcome, answer);
      assert.ok(entry && !('feedback' in entry), 'no verdict in the history once taken back');
      reloaded.close();
    } finally {
      a.close();
      b.close();
    }
  });

  it('feedback on a question, an unknown id, an answer still streaming or with a bad value is refused, and nothing is recorded', async () => {
    const { urls } = setup();
    const a = await welcomed(urls[0]);
    const conversationId = (a.frames[0] as Welcome).conversationId;
    try {
      const answer = await answered(a, 'q1', 'first');
      const question = (a.frames.find((f) => f.type === 'ack') as { messageId: string }).messageId;
      a.send({ type: 'send', clientMsgId: 'q2', text: 'hold on' });
      const streaming = (await a.waitFor(isType('start', (s) => s.replyTo !== question))).messageId;
      await a.waitFor(isType('delta', (d) => d.messageId === streaming));

      const refusals: [Record<string, unknown>, string, string | undefined][] = [
        [{ messageId: question, value: 'up' }, 'unknown_message', question],
        [{ messageId: 'm_nope', value: 'down' }, 'unknown_message', 'm_nope'],
        [{ messageId: streaming, value: 'up' }, 'bad_state', streaming],
        [{ messageId: answer, value: 'meh' }, 'bad_frame', answer],
        [{ messageId: answer }, 'bad_frame', answer],
        [{ messageId: answer, value: true }, 'bad_frame', answer],
      ];
      for (const [fields, code, messageId] of refusals) {
        const from = a.frames.length;
        a.send({ type: 'feedback', ...fields });
        const error = await a.waitFor(isType('error'), { from });
        assert.deepEqual(
          { code: error.code, messageId: error.messageId, retryable: error.retryable },
          { code, messageId, retryable: false },
          JSON.stringify(fields),
        );
        assert.ok(!a.frames.slice(from).some((f) => f.type === 'feedback'));
      }
      const reloaded = await welcomed(urls[2], { hello: { conversationId } });
      const history = (reloaded.frames[0] as Welcome).history;
      assert.deepEqual(
        history.filter((m) => 'feedback' in m),
        [],
      );
      reloaded.close();
    } finally {
      a.close();
    }
  });
}

describe('answer feedback, in memory (PROTOCOL.md section 15)', () => {
  const hooked: ChatFeedback[] = [];
  const held = heldSource();
  let server: DevServer;
  before(async () => {
    server = await startDevServer({
      port: 0,
      source: held.source,
      onFeedback: (feedback) => void hooked.push(feedback),
    });
  });
  after(async () => {
    held.release();
    await server?.close();
  });
  feedbackChecks(() => ({ urls: [wsUrlOf(server), wsUrlOf(server), wsUrlOf(server)], hooked }));

  it('a hook that throws is logged and changes nothing for the client', async () => {
    await withServer(
      {
        onFeedback: () => {
          throw new Error('the hook broke');
        },
      },
      async (wsUrl) => {
        const a = await welcomed(wsUrl);
        try {
          const answer = await answered(a, 'q1', 'hello');
          a.send({ type: 'feedback', messageId: answer, value: 'down' });
          await a.waitFor(isType('feedback', (f) => f.messageId === answer));
          assert.deepEqual(await framesUntilPong(a, a.frames.length), []);
          assert.equal(a.closeCode, undefined);
        } finally {
          a.close();
        }
      },
    );
  });
});

describe('answer feedback, three nodes on Redis (PROTOCOL.md section 15)', () => {
  const hooked: ChatFeedback[] = [];
  const held = heldSource();
  let redis: RedisProcess;
  const servers: DevServer[] = [];
  before(async () => {
    redis = await startRedisProcess();
    for (let i = 0; i < 3; i++) {
      servers.push(
        await startDevServer({
          port: 0,
          source: held.source,
          redis: redis.url,
          onFeedback: (feedback) => void hooked.push(feedback),
        }),
      );
    }
  });
  after(async () => {
    held.release();
    await Promise.all(servers.map((server) => server.close()));
    await redis?.close();
  });
  feedbackChecks(() => ({ urls: servers.map(wsUrlOf) as [string, string, string], hooked }));

  it('the verdict is a field of the answer in Redis', async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    const a = await welcomed(wsUrlOf(servers[0] as DevServer));
    try {
      const conversationId = (a.frames[0] as Welcome).conversationId;
      const answer = await answered(a, 'q1', 'store it');
      a.send({ type: 'feedback', messageId: answer, value: 'up' });
      await a.waitFor(isType('feedback'));
      const stored = JSON.parse((await r.hget(`aisc:{${conversationId}}:msgs`, answer)) ?? '{}');
      assert.deepEqual(
        { feedback: stored.feedback, text: stored.text, finishReason: stored.finishReason },
        { feedback: 'up', text: 'You said: store it', finishReason: 'stop' },
      );
    } finally {
      a.close();
      r.disconnect();
    }
  });
});
