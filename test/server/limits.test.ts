import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isType, Peer } from '../../src/conformance/peer.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { CloseCode, ErrorCode } from '../../src/protocol/index.js';
import { type ChatServerOptions, createChatServer } from '../../src/server/chat-server.js';
import { TokenBucket } from '../../src/server/transport/token-bucket.js';
import { askAndTime, quantile } from '../helpers/bystander.js';
import { openConnections, upgradeStatus, waitUntil, welcomed, withServer } from '../helpers/kit.js';

const SEED = 3;

/** The answers of these tests: seeded, 2000 tokens a second. */
const mock = () => createMockSource({ seed: SEED, tokensPerSecond: 2000 });

/**
 * An unrelated client asks a question; its answer must arrive whole while the
 * attack goes on. How its tokens flowed (p99 gap) is reported, not asserted:
 * timings belong in benchmarks (README, Limits, has the figures).
 */
async function bystanderAnswers(client: Peer, text: string): Promise<void> {
  const turn = client.frames.filter(isType('ack')).length;
  const { text: answer, gaps } = await askAndTime(client, text, 15_000);
  assert.equal(answer, mockAnswerFor(text, turn, SEED, 1), "the bystander's answer is whole");
  const p99 = quantile(gaps, 0.99);
  gapReport.push(`${text}: p99 ${p99.toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms`);
}

/** Each bystander's token gaps, printed at the end for README's figures. */
const gapReport: string[] = [];
after(() => {
  for (const line of gapReport) process.stdout.write(`# bystander ${line}\n`);
});

describe('token bucket', () => {
  it('admits a burst, then one per refill interval, and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 10, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
    assert.equal(bucket.take(), 100);
    now = 50;
    assert.equal(bucket.take(), 50);
    now = 100;
    assert.equal(bucket.take(), 0);
    now = 10_000;
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take() > 0], [0, 0, 0, true]);
  });

  it('rejects bad parameters', () => {
    assert.throws(() => new TokenBucket(0, 1), /capacity/);
    assert.throws(() => new TokenBucket(1, 0), /refillPerSecond/);
  });
});

describe('server limits', () => {
  it('rate-limits a flooding connection with rate_limited + retryAfterMs, and serves others', async () => {
    await withServer({ source: mock(), rateLimit: { burst: 10, perSecond: 5 } }, async (url) => {
      const bystander = await welcomed(url);
      const attacker = await welcomed(url);
      const answered = bystanderAnswers(bystander, 'during a flood');
      for (let i = 0; i < 300; i++) attacker.send({ type: 'ping' });
      const limited = await attacker.waitFor(isType('error'));
      assert.equal(limited.code, ErrorCode.RateLimited);
      assert.equal(limited.retryable, true);
      assert.ok((limited.retryAfterMs ?? 0) > 0);
      await answered;
      // After waiting, the same connection is served again. (A real wait: the advised time is what this checks.)
      await sleep(limited.retryAfterMs ?? 0);
      const from = attacker.frames.length;
      attacker.send({ type: 'ping' });
      await attacker.waitFor(isType('pong'), { from });
      // Frames are handled in order, so that pong came after every answer to the flood: count them now.
      const pongs = attacker.frames.filter(isType('pong')).length - 1;
      assert.ok(pongs < 30, `most of the flood was dropped (${pongs} pongs)`);
      const errors = attacker.frames.filter(isType('error')).length;
      // One error per limited stretch, not one per dropped frame (a refill mid-flood may start a second stretch).
      assert.ok(errors >= 1 && errors <= 5, `${errors} rate_limited errors for ~290 dropped frames`);
      attacker.close();
      bystander.close();
    });
  });

  it('refuses upgrades over the per-IP cap with 429 and over the total cap with 503', async () => {
    const clientIp = (request: { headers: Record<string, unknown>; socket: { remoteAddress?: string } }) =>
      String(request.headers['x-test-ip'] ?? request.socket.remoteAddress);
    await withServer(
      { source: mock(), maxConnectionsPerIp: 3, maxConnections: 6, clientIp },
      async (url, server) => {
        const bystander = await welcomed(url, { headers: { 'x-test-ip': '10.0.0.9' } });
        const attackers = await Promise.all(
          [1, 2, 3].map(() => welcomed(url, { headers: { 'x-test-ip': '10.0.0.1' } })),
        );
        assert.equal(await upgradeStatus(url, { 'x-test-ip': '10.0.0.1' }), 429);
        const others = await Promise.all(
          [1, 2].map(() => welcomed(url, { headers: { 'x-test-ip': '10.0.0.2' } })),
        );
        assert.equal(await upgradeStatus(url, { 'x-test-ip': '10.0.0.3' }), 503);
        await bystanderAnswers(bystander, 'while the server is full');
        // Closed connections free their places.
        for (const a of attackers) a.close();
        await waitUntil(
          async () => (await openConnections(server.url)) === 3,
          'the closes to reach the server',
        );
        assert.equal(await upgradeStatus(url, { 'x-test-ip': '10.0.0.1' }), 101);
        for (const c of [...others, bystander]) c.close();
      },
    );
  });

  it('closes a socket that sends no hello in time with 4408, and serves others', async () => {
    await withServer({ source: mock(), handshakeTimeoutMs: 300 }, async (url) => {
      const bystander = await welcomed(url);
      const silent = new Peer(url);
      await new Promise((resolve) => silent.socket.once('open', resolve));
      const answered = bystanderAnswers(bystander, 'next to a silent socket');
      assert.equal(await silent.waitForClose(), CloseCode.HandshakeTimeout);
      await answered;
      bystander.close();
    });
  });

  it('closes a socket that sends nothing for the idle timeout with 4409; pings keep one open', async () => {
    await withServer({ source: mock(), idleTimeoutMs: 1000 }, async (url) => {
      const idle = await welcomed(url);
      const pinger = await welcomed(url);
      const timer = setInterval(() => pinger.send({ type: 'ping' }), 100);
      try {
        assert.equal(await idle.waitForClose(), CloseCode.IdleTimeout);
        // A real wait: this proves the pinger is NOT closed, so there is no event to wait for.
        await sleep(500);
        assert.equal(pinger.closeCode, undefined, 'a client that pings stays connected');
        await bystanderAnswers(pinger, 'after the idle one left');
      } finally {
        clearInterval(timer);
        pinger.close();
      }
    });
  });

  it('an unrelated answer completes while another client sends garbage, binary and oversized frames', async () => {
    await withServer({ source: mock(), maxFrameBytes: 2048, maxTextLength: 50 }, async (url) => {
      const bystander = await welcomed(url);
      const answered = bystanderAnswers(bystander, 'amid garbage');
      const attacker = await welcomed(url);
      attacker.sendRaw('{not json');
      attacker.sendRaw(JSON.stringify({ type: 'explode' }));
      attacker.sendRaw(JSON.stringify({ type: 'send', clientMsgId: 7, text: ['x'] }));
      attacker.sendRaw(Buffer.from([0, 1, 2]), true);
      attacker.send({ type: 'send', clientMsgId: 'long', text: 'x'.repeat(51) });
      const oversized = new Peer(url);
      await new Promise((resolve) => oversized.socket.once('open', resolve));
      oversized.sendRaw('x'.repeat(4096));
      assert.equal(await oversized.waitForClose(), CloseCode.TooBig);
      await answered;
      const codes = attacker.frames.filter(isType('error')).map((e) => e.code);
      assert.deepEqual(codes, [
        ErrorCode.BadJson,
        ErrorCode.UnknownType,
        ErrorCode.BadFrame,
        ErrorCode.BinaryFrame,
        ErrorCode.TextTooLong,
      ]);
      attacker.close();
      bystander.close();
    });
  });

  it('answers a send beyond maxQueuedPerConversation with busy (retryable), and serves others', async () => {
    await withServer(
      { maxQueuedPerConversation: 2, source: createMockSource({ seed: SEED, tokensPerSecond: 200 }) },
      async (url) => {
        const bystander = await welcomed(url);
        const busy = await welcomed(url);
        for (const id of ['q1', 'q2', 'q3', 'q4']) busy.send({ type: 'send', clientMsgId: id, text: id });
        const refused = await busy.waitFor(isType('error'));
        assert.equal(refused.code, ErrorCode.Busy);
        assert.equal(refused.retryable, true);
        assert.equal(refused.clientMsgId, 'q4', 'one generating, two waiting: the fourth is refused');
        const acks = await Promise.all(
          ['q1', 'q2', 'q3'].map((id) => busy.waitFor(isType('ack', (a) => a.clientMsgId === id))),
        );
        assert.deepEqual(
          acks.map((a) => a.queuePosition),
          [0, 1, 2],
        );
        // A resend of a waiting message is acknowledged again, not refused.
        const from = busy.frames.length;
        busy.send({ type: 'send', clientMsgId: 'q3', text: 'q3' });
        const again = await busy.waitFor(
          isType('ack', (a) => a.clientMsgId === 'q3'),
          { from },
        );
        assert.equal(again.messageId, acks[2]?.messageId);
        await bystanderAnswers(bystander, 'next to a full queue');
        // Once the first answer is done there is room again.
        await busy.waitFor(isType('done'));
        const later = busy.frames.length;
        busy.send({ type: 'send', clientMsgId: 'q4', text: 'q4' });
        await busy.waitFor(
          isType('ack', (a) => a.clientMsgId === 'q4'),
          { from: later },
        );
        busy.close();
        bystander.close();
      },
    );
  });

  it('never answers busy under the interrupt policy: each send replaces what waits', async () => {
    await withServer({ source: mock(), followUp: 'interrupt', maxQueuedPerConversation: 1 }, async (url) => {
      const client = await welcomed(url);
      client.send({ type: 'send', clientMsgId: 'i1', text: 'i1' });
      await client.waitFor(isType('start'));
      for (const id of ['i2', 'i3', 'i4']) client.send({ type: 'send', clientMsgId: id, text: id });
      await client.waitFor(isType('ack', (a) => a.clientMsgId === 'i4'));
      const last = await client.waitFor(
        isType('start', (s) => s.replyTo === client.frames.filter(isType('ack')).at(-1)?.messageId),
      );
      await client.waitFor(isType('done', (d) => d.messageId === last.messageId));
      assert.deepEqual(client.frames.filter(isType('error')), []);
      client.close();
    });
  });

  it('rejects bad limit options with a TypeError naming the option', () => {
    const source = createMockSource();
    const bad: [Partial<ChatServerOptions>, RegExp][] = [
      [{ maxConnections: 0 }, /maxConnections must be a positive integer/],
      [{ maxConnectionsPerIp: 1.5 }, /maxConnectionsPerIp must be a positive integer/],
      [{ rateLimit: { perSecond: -1 } }, /rateLimit.perSecond must be a positive number/],
      [{ rateLimit: { burst: 0 } }, /rateLimit.burst must be a positive integer/],
      [{ handshakeTimeoutMs: Number.NaN }, /handshakeTimeoutMs must be a positive integer/],
      [{ idleTimeoutMs: '5' as unknown as number }, /idleTimeoutMs must be a positive integer/],
      [{ maxQueuedPerConversation: 0 }, /maxQueuedPerConversation must be a positive integer/],
    ];
    for (const [options, message] of bad)
      assert.throws(() => createChatServer({ source, ...options }), message);
  });
});
