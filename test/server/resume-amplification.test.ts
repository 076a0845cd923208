/**
 * A hello may name the answers it resumes any number of times. Replaying one
 * long answer for each entry once made a 65 KB hello cost millions of frames
 * and froze every other client. Now each answer is replayed once per hello,
 * and the replay is built as the socket drains, never ahead of it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { isType, Peer } from '../../src/conformance/peer.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { MAX_RESUME_ENTRIES, parseServerFrame } from '../../src/protocol/index.js';
import { createChatServer } from '../../src/server/chat-server.js';
import { askAndTime, quantile } from '../helpers/bystander.js';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { answerText } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { RawWebSocket } from '../helpers/raw-ws.js';

const SECTIONS = 10;

/** A finished long answer in a conversation of its own: what the attackers name in their resumes. */
async function longAnswer(url: string): Promise<{ conversationId: string; messageId: string; seq: number }> {
  const owner = new Peer(url);
  await new Promise((resolve) => owner.socket.once('open', resolve));
  owner.send({ type: 'hello', v: 1 });
  const welcome = await owner.waitFor(isType('welcome'));
  owner.send({ type: 'send', clientMsgId: 'long', text: 'a long answer' });
  const done = await owner.waitFor(isType('done'), { timeoutMs: 60_000 });
  owner.close();
  return { conversationId: welcome.conversationId, messageId: done.messageId, seq: done.seq };
}

/** A hello naming one answer `times` times from seq 0: 1,038 entries of this fill a 64 KB frame. */
function amplifyingHello(target: { conversationId: string; messageId: string }, times: number): string {
  const resume = Array.from({ length: times }, () => ({ messageId: target.messageId, lastSeq: 0 }));
  return JSON.stringify({ type: 'hello', v: 1, conversationId: target.conversationId, resume });
}

describe('resume amplification', () => {
  let server: RunningCli;

  before(async () => {
    server = await startCli([
      '--port',
      '0',
      '--rate',
      '1000',
      '--sections',
      String(SECTIONS),
      '--log-level',
      'silent',
      // A delta per token: the replay an attacker asks for is thousands of frames long.
      '--delta-window-ms',
      '0',
    ]);
  });
  after(() => {
    server.child.kill('SIGKILL');
  });

  it('ten hellos naming one long answer 1,000 times each: each gets it once, a bystander streams on', async (t) => {
    const target = await longAnswer(server.wsUrl);
    assert.ok(target.seq > 2000, `the answer is long (${target.seq} deltas)`);
    const bystander = await welcomed(server.wsUrl);
    const answered = askAndTime(bystander, 'next to the amplifiers');
    const hello = amplifyingHello(target, 1000);
    const counts = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<number>((resolve, reject) => {
            const attacker = new WebSocket(server.wsUrl);
            let frames = 0;
            attacker.on('open', () => attacker.send(hello));
            attacker.on('message', (data) => {
              frames++;
              if (String(data).includes('"type":"done"')) {
                // Anything past the done would be a second replay: a real wait, as this proves none comes.
                setTimeout(() => {
                  attacker.terminate();
                  resolve(frames);
                }, 200);
              }
            });
            attacker.on('error', reject);
          }),
      ),
    );
    const { text, gaps } = await answered;
    bystander.close();
    assert.equal(
      text,
      mockAnswerFor('next to the amplifiers', 0, 1, SECTIONS),
      'the bystander answer is exact',
    );
    // welcome + every delta once + done
    for (const count of counts) assert.equal(count, target.seq + 2);
    const p99 = quantile(gaps, 0.99);
    t.diagnostic(
      `bystander: ${gaps.length} gaps, p50 ${quantile(gaps, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms`,
    );
    assert.equal(server.child.exitCode, null);
  });

  it(`serves at most ${MAX_RESUME_ENTRIES} distinct resumes of one hello, each once`, async () => {
    const client = new Peer(server.wsUrl);
    await new Promise((resolve) => client.socket.once('open', resolve));
    client.send({ type: 'hello', v: 1 });
    const { conversationId } = await client.waitFor(isType('welcome'));
    client.close();
    const resume = Array.from({ length: MAX_RESUME_ENTRIES + 10 }, (_, i) => ({
      messageId: `m_unknown_${i % (MAX_RESUME_ENTRIES + 5)}`,
      lastSeq: 0,
    }));
    const again = new Peer(server.wsUrl);
    await new Promise((resolve) => again.socket.once('open', resolve));
    again.send({ type: 'hello', v: 1, conversationId, resume });
    await again.waitFor(isType('welcome'));
    const from = again.frames.length;
    again.send({ type: 'ping' });
    await again.waitFor(isType('pong'), { from });
    const unknown = again.frames.filter(isType('error', (e) => e.code === 'unknown_message'));
    assert.deepEqual(
      unknown.map((e) => e.messageId),
      Array.from({ length: MAX_RESUME_ENTRIES }, (_, i) => `m_unknown_${i}`),
    );
    again.close();
  });
});

describe('replay pacing', () => {
  it('a client that reads nothing while resuming 3,000 deltas: the server holds about one high-water mark, then the exact text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-chat-replay-'));
    const path = join(dir, 'chat.sock');
    const highWaterBytes = 16 * 1024;
    const chat = createChatServer({
      source: createMockSource({ seed: 1, tokensPerSecond: Number.POSITIVE_INFINITY, sections: SECTIONS }),
      heartbeatMs: 600_000,
      backpressure: { highWaterBytes, slowConsumerMs: 120_000 },
    });
    const http = createServer();
    chat.attach(http);
    await new Promise<void>((resolve) => http.listen(path, resolve));
    try {
      const owner = await RawWebSocket.open({ path }, '/ws');
      owner.readAll();
      owner.send({ type: 'hello', v: 1 });
      owner.send({ type: 'send', clientMsgId: 'long', text: 'a long answer' });
      await owner.until(() => owner.texts().some((t) => t.includes('"type":"done"')), 60_000);
      const frames = owner.texts().map((raw) => parseServerFrame(raw));
      const welcome = frames.find((f) => f.ok && f.frame.type === 'welcome');
      const done = frames.find((f) => f.ok && f.frame.type === 'done');
      assert.ok(welcome?.ok && welcome.frame.type === 'welcome' && done?.ok && done.frame.type === 'done');
      owner.destroy();
      const target = {
        conversationId: welcome.frame.conversationId,
        messageId: done.frame.messageId,
        seq: done.frame.seq,
      };

      const reader = await RawWebSocket.open({ path }, '/ws');
      reader.send(JSON.parse(amplifyingHello(target, 1000)));
      let peak = 0;
      // A real wait: this samples for half a second to prove the server does NOT buffer ahead.
      for (let i = 0; i < 50; i++) {
        peak = Math.max(peak, ...chat.outboundBytes());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // One frame may cross the mark; a replay built ahead would hold all ~300 KB here.
      assert.ok(peak <= highWaterBytes + 4096, `held ${peak} bytes for a reader that reads nothing`);
      reader.readAll();
      await reader.until(() => reader.texts().some((t) => t.includes('"type":"done"')), 30_000);
      const replay = reader
        .texts()
        .map((raw) => parseServerFrame(raw))
        .flatMap((r) => (r.ok ? [r.frame] : []));
      const replayed = answerText(replay, target.messageId, { strict: true });
      assert.equal(replayed.deltaSeqs.length, target.seq);
      assert.deepEqual(
        replayed.deltaSeqs,
        Array.from({ length: target.seq }, (_, i) => i + 1),
      );
      assert.equal(replayed.text, mockAnswerFor('a long answer', 0, 1, SECTIONS));
      reader.destroy();
    } finally {
      await chat.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
