import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { isType } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { ErrorCode, type ServerFrame } from '../../src/protocol/index.js';
import { answerText } from '../helpers/frames.js';
import { welcomed, wsUrlOf } from '../helpers/kit.js';

const servers: DevServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(options: Partial<Parameters<typeof startDevServer>[0]> = {}, rate = 400, sections = 3) {
  const s = await startDevServer({
    port: 0,
    source: createMockSource({ seed: 11, tokensPerSecond: rate, sections }),
    // A delta per token: these tests resume from a given seq inside the answer.
    deltaWindowMs: 0,
    ...options,
  });
  servers.push(s);
  return wsUrlOf(s);
}

describe('resume', () => {
  it('replays exactly the missing deltas, then the live continuation', async () => {
    const url = await server();
    const first = await welcomed(url);
    const welcome = first.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    first.send({ type: 'send', clientMsgId: 'q', text: 'question' });
    const start = await first.waitFor(isType('start'));
    await first.waitFor(isType('delta', (d) => d.seq === 20));
    first.close();
    const held = first.frames.filter(isType('delta', (d) => d.seq <= 20));
    const lastSeq = held.length;

    const second = await welcomed(url, {
      hello: {
        conversationId: welcome.conversationId,
        resume: [{ messageId: start.messageId, lastSeq }],
      },
    });
    const again = second.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    const entry = again.history.find((m) => m.id === start.messageId);
    assert.equal(entry?.text, undefined, 'a resumed answer comes without text in the welcome');
    assert.deepEqual(again.active, [start.messageId]);
    await second.waitFor(isType('done'));
    const replayed = second.frames.filter(isType('delta'));
    assert.equal(replayed[0]?.seq, lastSeq + 1, 'replay starts right after what the client holds');
    assert.equal(second.frames.filter(isType('snapshot')).length, 0);
    const whole = answerText(second.frames, start.messageId, {
      held: { text: held.map((d) => d.text).join(''), seq: lastSeq },
      strict: true,
    }).text;
    assert.equal(whole, mockAnswerFor('question', 0, 11, 3));
    second.close();
  });

  it('sends a snapshot, never a partial replay, when the deltas are no longer kept', async () => {
    const url = await server({ replayMaxChars: 50 });
    const first = await welcomed(url);
    const welcome = first.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    first.send({ type: 'send', clientMsgId: 'q', text: 'question' });
    const start = await first.waitFor(isType('start'));
    await first.waitFor(isType('delta', (d) => d.seq === 40));
    first.close();
    const second = await welcomed(url, {
      hello: {
        conversationId: welcome.conversationId,
        resume: [{ messageId: start.messageId, lastSeq: 3 }],
      },
    });
    await second.waitFor(isType('done'));
    const snapshot = second.frames.find(isType('snapshot'));
    assert.ok(snapshot && snapshot.seq >= 40);
    const afterWelcome = second.frames.slice(1).map((f) => f.type);
    assert.equal(afterWelcome[0], 'snapshot');
    assert.ok(
      afterWelcome.slice(1, -1).every((t) => t === 'delta'),
      'then only live deltas, then done',
    );
    assert.equal(
      answerText(second.frames, start.messageId, { strict: true }).text,
      mockAnswerFor('question', 0, 11, 3),
    );
    second.close();
  });

  it('resuming a finished answer sends the missing tail and done; a complete one only done', async () => {
    const url = await server({}, Number.POSITIVE_INFINITY, 1);
    const first = await welcomed(url);
    const welcome = first.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    first.send({ type: 'send', clientMsgId: 'q', text: 'question' });
    const done = await first.waitFor(isType('done'));
    first.close();
    for (const lastSeq of [done.seq - 5, done.seq]) {
      const client = await welcomed(url, {
        hello: {
          conversationId: welcome.conversationId,
          resume: [{ messageId: done.messageId, lastSeq }],
        },
      });
      const again = await client.waitFor(isType('done'));
      assert.equal(again.seq, done.seq);
      assert.deepEqual(
        client.frames.filter(isType('delta')).map((d) => d.seq),
        Array.from({ length: done.seq - lastSeq }, (_, i) => lastSeq + 1 + i),
      );
      client.close();
    }
  });

  it('refuses to resume a message from another conversation', async () => {
    const url = await server({}, Number.POSITIVE_INFINITY, 1);
    const alice = await welcomed(url);
    alice.send({ type: 'send', clientMsgId: 'q', text: 'secret' });
    const aliceDone = await alice.waitFor(isType('done'));
    const bob = await welcomed(url);
    const bobWelcome = bob.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    bob.close();
    const again = await welcomed(url, {
      hello: {
        conversationId: bobWelcome.conversationId,
        resume: [{ messageId: aliceDone.messageId, lastSeq: 0 }],
      },
    });
    const error = await again.waitFor(isType('error'));
    assert.equal(error.code, ErrorCode.UnknownMessage);
    assert.equal(error.messageId, aliceDone.messageId);
    assert.equal(again.frames.filter((f) => f.type === 'delta' || f.type === 'snapshot').length, 0);
    alice.close();
    again.close();
  });

  it('an unknown conversation gets a new one, so the client can tell it was lost', async () => {
    const url = await server();
    const client = await welcomed(url, {
      hello: {
        conversationId: 'c_gone',
        resume: [{ messageId: 'm_gone', lastSeq: 4 }],
      },
    });
    const welcome = client.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    assert.notEqual(welcome.conversationId, 'c_gone');
    assert.deepEqual(welcome.history, []);
    client.close();
  });
});

describe('follow-ups and parameters', () => {
  it('queue policy: a follow-up waits for the current answer, and the ack says so', async () => {
    const url = await server({ followUp: 'queue' }, 300, 1);
    const client = await welcomed(url);
    client.send({ type: 'send', clientMsgId: 'a', text: 'first' });
    const first = await client.waitFor(isType('start'));
    client.send({ type: 'send', clientMsgId: 'b', text: 'second' });
    const ack = await client.waitFor(isType('ack', (a) => a.clientMsgId === 'b'));
    assert.equal(ack.queuePosition, 1);
    const firstDone = await client.waitFor(isType('done', (d) => d.messageId === first.messageId));
    assert.equal(firstDone.finishReason, 'stop');
    const second = await client.waitFor(isType('start', (s) => s.replyTo === ack.messageId));
    assert.ok(
      client.frames.indexOf(second) > client.frames.indexOf(firstDone),
      'the second answer starts after the first ends',
    );
    await client.waitFor(isType('done', (d) => d.messageId === second.messageId));
    assert.equal(
      answerText(client.frames, second.messageId, { strict: true }).text,
      mockAnswerFor('second', 1, 11, 1),
    );
    client.close();
  });

  it('interrupt policy: a follow-up ends the current answer as cancelled and is answered at once', async () => {
    const url = await server({ followUp: 'interrupt' }, 300, 1);
    const client = await welcomed(url);
    client.send({ type: 'send', clientMsgId: 'a', text: 'first' });
    const first = await client.waitFor(isType('start'));
    await client.waitFor(isType('delta', (d) => d.seq === 3));
    client.send({ type: 'send', clientMsgId: 'b', text: 'second' });
    const ack = await client.waitFor(isType('ack', (a) => a.clientMsgId === 'b'));
    const firstDone = await client.waitFor(isType('done', (d) => d.messageId === first.messageId));
    assert.equal(firstDone.finishReason, 'cancelled');
    const second = await client.waitFor(isType('start', (s) => s.replyTo === ack.messageId));
    const secondDone = await client.waitFor(isType('done', (d) => d.messageId === second.messageId));
    assert.equal(secondDone.finishReason, 'stop');
    client.close();
  });

  it('validates parameters against the allow-list and its bounds', async () => {
    const url = await server(
      {
        params: {
          temperature: { min: 0, max: 1 },
          models: ['small'],
          systemPrompt: { allowed: true, maxLength: 10 },
        },
      },
      Number.POSITIVE_INFINITY,
      1,
    );
    const client = await welcomed(url);
    // PROTOCOL.md 4.1: a value of the wrong JSON type is a bad_frame; one outside the server's bounds, bad_params.
    const cases: [Record<string, unknown>, 'ack' | ErrorCode][] = [
      [{ temperature: 0.5, maxTokens: 100, model: 'small', system: 'be brief' }, 'ack'],
      [{ temperature: 1.5 }, ErrorCode.BadParams],
      [{ maxTokens: 0 }, ErrorCode.BadParams],
      [{ maxTokens: 1.5 }, ErrorCode.BadFrame],
      [{ model: 'huge' }, ErrorCode.BadParams],
      [{ system: 'x'.repeat(11) }, ErrorCode.BadParams],
      [{ temperature: '0.5' }, ErrorCode.BadFrame],
      [{ model: 7 }, ErrorCode.BadFrame],
      [{ futureKnob: true }, 'ack'],
    ];
    for (const [i, [params, expected]] of cases.entries()) {
      const from = client.frames.length;
      client.send({ type: 'send', clientMsgId: `p${i}`, text: 'hi', params });
      const reply = await client.waitFor(
        (f): f is Extract<ServerFrame, { type: 'ack' | 'error' }> =>
          (f.type === 'ack' || f.type === 'error') && f.clientMsgId === `p${i}`,
        { from },
      );
      assert.equal(reply.type === 'ack' ? 'ack' : reply.code, expected, JSON.stringify(params));
    }
    client.close();
  });
});

describe('heartbeat (PROTOCOL.md section 10)', () => {
  it('closes a client that never answers pings with 4008, and the answer goes on', async () => {
    const url = await server({ heartbeatMs: 100 }, 100, 1);
    const client = await welcomed(url);
    client.send({ type: 'send', clientMsgId: 'q', text: 'question' });
    const start = await client.waitFor(isType('start'));
    client.close();
    const mute = new WebSocket(url, { autoPong: false });
    const closed = new Promise<number>((resolve) => mute.on('close', (code) => resolve(code)));
    const code = await closed;
    assert.equal(code, 4008, 'a client that reads sees why it was closed');
    // The answer kept being generated while nobody was connected.
    const welcome = client.frames[0] as Extract<ServerFrame, { type: 'welcome' }>;
    const back = await welcomed(url, { hello: { conversationId: welcome.conversationId } });
    const history = (back.frames[0] as Extract<ServerFrame, { type: 'welcome' }>).history;
    assert.ok((history.find((m) => m.id === start.messageId)?.seq ?? 0) > 0);
    back.close();
  });
});
