import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isType, Peer } from '../../src/conformance/peer.js';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource, type MockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { answerText } from '../helpers/frames.js';
import { welcomed, withServer, wsUrlOf } from '../helpers/kit.js';

const SEED = 7;

describe('chat server over a real socket', () => {
  let server: DevServer;
  let source: MockSource;
  let wsUrl: string;

  before(async () => {
    source = createMockSource({ seed: SEED, tokensPerSecond: Number.POSITIVE_INFINITY });
    // A delta per token: these tests look at the answer delta by delta.
    server = await startDevServer({
      port: 0,
      source,
      maxTextLength: 100,
      maxFrameBytes: 4096,
      deltaWindowMs: 0,
    });
    wsUrl = wsUrlOf(server);
  });
  after(() => server.close());

  it('welcomes a hello with a new conversation, its limits and heartbeat', async () => {
    const client = await welcomed(wsUrl);
    const welcome = client.frames[0];
    assert.equal(welcome?.type, 'welcome');
    if (welcome?.type !== 'welcome') return;
    assert.equal(welcome.v, 1);
    assert.match(welcome.conversationId, /^c_/);
    assert.deepEqual(welcome.history, []);
    assert.deepEqual(welcome.limits, { maxTextLength: 100, maxFrameBytes: 4096 });
    assert.ok(welcome.heartbeatMs > 0);
    client.close();
  });

  it('streams the mock answer as gapless deltas from seq 1, then done', async () => {
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'u1', text: 'Tell me about streaming' });
    const ack = await client.waitFor(isType('ack'));
    assert.equal(ack.clientMsgId, 'u1');
    const start = await client.waitFor(isType('start'));
    assert.equal(start.replyTo, ack.messageId);
    const done = await client.waitFor(isType('done'));
    const { text, deltaSeqs: seqs } = answerText(client.frames, start.messageId, { strict: true });
    assert.equal(text, mockAnswerFor('Tell me about streaming', 0, SEED, 1));
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
    );
    assert.equal(done.seq, seqs.length);
    assert.equal(done.finishReason, 'stop');
    assert.ok(seqs.length > 50, 'the answer comes in many small deltas');
    client.close();
  });

  it('gives the same answers for the same seed, and the second turn a different one', async () => {
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'a', text: 'first' });
    const first = await client.waitFor(isType('done'));
    const count = client.frames.length;
    client.send({ type: 'send', clientMsgId: 'b', text: 'second' });
    const second = await client.waitFor(isType('done'), { from: count });
    const one = answerText(client.frames, first.messageId, { strict: true }).text;
    const two = answerText(client.frames, second.messageId, { strict: true }).text;
    assert.equal(one, mockAnswerFor('first', 0, SEED, 1));
    assert.equal(two, mockAnswerFor('second', 1, SEED, 1));
    assert.notEqual(one, two);
    client.close();
  });

  it('returns the history on reconnect to the same conversation', async () => {
    const first = await welcomed(wsUrl);
    const welcome = first.frames[0];
    assert.equal(welcome?.type, 'welcome');
    if (welcome?.type !== 'welcome') return;
    first.send({ type: 'send', clientMsgId: 'h1', text: 'remember me' });
    const done = await first.waitFor(isType('done'));
    first.close();

    const second = await Peer.connect(wsUrl);
    second.send({ type: 'hello', v: 1, conversationId: welcome.conversationId });
    const again = await second.waitFor(isType('welcome'));
    assert.equal(again.conversationId, welcome.conversationId);
    assert.deepEqual(
      again.history.map((m) => [m.role, m.text, m.finishReason]),
      [
        ['user', 'remember me', undefined],
        ['assistant', mockAnswerFor('remember me', 0, SEED, 1), 'stop'],
      ],
    );
    assert.equal(again.history[1]?.seq, done.seq);
    second.close();
  });

  it('treats a repeated clientMsgId as the same message (idempotent send)', async () => {
    const client = await welcomed(wsUrl);
    client.send({ type: 'send', clientMsgId: 'dup', text: 'once' });
    client.send({ type: 'send', clientMsgId: 'dup', text: 'once' });
    await client.waitFor(isType('done'));
    // Frames are handled in order: the pong comes after the answers to both sends, and a second start would be before it.
    const from = client.frames.length;
    client.send({ type: 'ping' });
    await client.waitFor(isType('pong'), { from });
    const acks = client.frames.filter(isType('ack'));
    assert.equal(acks.length, 2);
    assert.equal(acks[0]?.messageId, acks[1]?.messageId);
    assert.equal(client.frames.filter(isType('start')).length, 1);
    client.close();
  });

  it('answers invalid frames with error frames and keeps serving', async () => {
    const client = await Peer.connect(wsUrl);
    // The server handles frames in order, so a pong means every earlier frame has been answered.
    const errorsUpToPong = async (): Promise<string[]> => {
      const from = client.frames.length;
      client.send({ type: 'ping' });
      await client.waitFor(isType('pong'), { from });
      return client.frames
        .slice(from)
        .filter(isType('error'))
        .map((e) => e.code);
    };
    client.send({ type: 'send', clientMsgId: 'early', text: 'before hello' });
    client.sendRaw('{not json');
    client.sendRaw(JSON.stringify({ type: 'explode' }));
    client.sendRaw(JSON.stringify({ type: 'hello', v: '1' }));
    client.sendRaw(Buffer.from([1, 2, 3]), true);
    assert.deepEqual(await errorsUpToPong(), [
      ErrorCode.BadState,
      ErrorCode.BadJson,
      ErrorCode.UnknownType,
      ErrorCode.BadFrame,
      ErrorCode.BinaryFrame,
    ]);
    client.send({ type: 'hello', v: 1 });
    await client.waitFor(isType('welcome'));
    client.send({ type: 'hello', v: 1 });
    client.send({ type: 'send', clientMsgId: 'long', text: 'x'.repeat(101) });
    client.send({ type: 'send', clientMsgId: 'blank', text: '   ' });
    client.send({ type: 'cancel', messageId: 'm_nope' });
    assert.deepEqual(await errorsUpToPong(), [
      ErrorCode.BadState,
      ErrorCode.TextTooLong,
      ErrorCode.BadFrame,
      ErrorCode.UnknownMessage,
    ]);
    assert.equal(client.frames.filter(isType('error', (e) => e.clientMsgId === 'long')).length, 1);
    assert.equal(client.frames.filter(isType('ack')).length, 0, 'no invalid send was accepted');
    client.close();
  });

  it('closes with 4505 on an unsupported protocol version', async () => {
    const client = await Peer.connect(wsUrl);
    client.send({ type: 'hello', v: 99 });
    assert.equal(await client.waitForClose(), CloseCode.ProtocolVersionUnsupported);
  });

  it('closes with 1009 on a frame over maxFrameBytes', async () => {
    const client = await Peer.connect(wsUrl);
    client.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(5000) }));
    assert.equal(await client.waitForClose(), CloseCode.TooBig);
  });

  it('cancel ends the answer as cancelled and the source stops producing', async () => {
    const slow = createMockSource({ seed: 1, tokensPerSecond: 200, sections: 20 });
    await withServer({ source: slow }, async (url) => {
      const client = await welcomed(url);
      client.send({ type: 'send', clientMsgId: 'c', text: 'long please' });
      const start = await client.waitFor(isType('start'));
      await client.waitFor(isType('delta', (d) => d.seq === 5));
      client.send({ type: 'cancel', messageId: start.messageId });
      const done = await client.waitFor(isType('done'));
      assert.equal(done.finishReason, 'cancelled');
      const { deltaSeqs } = answerText(client.frames, start.messageId, { strict: true });
      assert.equal(done.seq, deltaSeqs.length, 'done.seq counts the deltas sent');
      const produced = slow.stats.tokensProduced;
      // A real wait: this proves a token is NOT produced, so there is no event to wait for.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(slow.stats.tokensProduced, produced, 'no token is produced after cancel');
      client.send({ type: 'cancel', messageId: start.messageId });
      client.send({ type: 'ping' });
      await client.waitFor(isType('pong'));
      assert.equal(client.frames.filter(isType('error')).length, 0, 'cancel after the end is harmless');
      client.close();
    });
  });
});
