/**
 * Backpressure: a client that reads slower than answers arrive costs the
 * server a bounded amount of memory, gets fewer, larger frames, and is closed
 * with 4008 when it stays too slow for too long, after which it resumes
 * exactly.
 *
 * The server listens on a Unix socket here. Over loopback TCP, Linux grows the
 * kernel's socket buffers to megabytes, so a slow reader only shows up in the
 * server's own buffers after minutes; a Unix socket's buffer is about 200 KB,
 * closer to what a slow network path holds, so the server's side of the
 * story shows within seconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloseCode, parseServerFrame, type ServerFrame } from '../../src/protocol/index.js';
import { type ChatServer, type ChatServerOptions, createChatServer } from '../../src/server/chat-server.js';
import type { TokenSource } from '../../src/server/sources/types.js';
import { waitUntil } from '../helpers/kit.js';
import { RawWebSocket } from '../helpers/raw-ws.js';

const TOKENS_PER_SECOND = 1000;
const word = (i: number, pad = ''): string => `w${i}${pad} `;
const answerOf = (count: number, pad = ''): string =>
  Array.from({ length: count }, (_, i) => word(i, pad)).join('');

/** `count` tokens at 1000 per second, on the wall clock (each `pad` wider). */
function steadySource(count: number, pad = ''): TokenSource {
  return {
    async *generate({ signal }) {
      const start = Date.now();
      for (let i = 0; i < count; i++) {
        const wait = start + (i * 1000) / TOKENS_PER_SECOND - Date.now();
        if (wait > 0) await sleep(wait);
        if (signal.aborted) break;
        yield word(i, pad);
      }
      return { finishReason: 'stop', usage: null };
    },
  };
}

async function withUnixServer(
  options: ChatServerOptions,
  body: (chat: ChatServer, path: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-chat-bp-'));
  const path = join(dir, 'chat.sock');
  // Every token its own delta (no delta window), so the tests can count deltas as tokens.
  const chat = createChatServer({ heartbeatMs: 600_000, deltaWindowMs: 0, ...options });
  const http: Server = createServer();
  chat.attach(http);
  await new Promise<void>((resolve) => http.listen(path, resolve));
  try {
    await body(chat, path);
  } finally {
    await chat.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every text frame, validated as a server frame. */
function parsed(client: RawWebSocket): ServerFrame[] {
  return client.texts().map((raw) => {
    const result = parseServerFrame(raw);
    assert.ok(result.ok, `an invalid frame: ${raw.slice(0, 200)}`);
    return result.frame;
  });
}

/** The answer's text from its deltas, as a client applies them: each must start right after the last. */
function assemble(
  frames: ServerFrame[],
  messageId: string,
  text = '',
  seq = 0,
): { text: string; seq: number } {
  for (const f of frames) {
    if (f.type !== 'delta' || f.messageId !== messageId) continue;
    assert.equal(f.fromSeq ?? f.seq, seq + 1, 'deltas are gapless and in order');
    assert.ok(f.seq >= (f.fromSeq ?? f.seq));
    text += f.text;
    seq = f.seq;
  }
  return { text, seq };
}

/** Reads `bytesPerSecond` from the socket, in ten slices a second, until stopped. */
function readSlowly(client: RawWebSocket, bytesPerSecond: number): () => void {
  const timer = setInterval(() => client.read(bytesPerSecond / 10), 100);
  return () => clearInterval(timer);
}

async function startAnswer(client: RawWebSocket): Promise<void> {
  client.send({ type: 'hello', v: 1 });
  client.send({ type: 'send', clientMsgId: 'q1', text: 'go' });
}

/** Reasoning, a tool step, a source and text, interleaved, at 1000 chunks per second. */
function partsSource(count: number): TokenSource {
  return {
    async *generate({ signal }) {
      const start = Date.now();
      for (let i = 0; i < count; i++) {
        const wait = start + (i * 1000) / TOKENS_PER_SECOND - Date.now();
        if (wait > 0) await sleep(wait);
        if (signal.aborted) break;
        if (i === count / 4)
          yield { type: 'tool', id: 't1', name: 'search', label: 'Searching', status: 'running' };
        if (i === count / 2) {
          yield { type: 'tool', id: 't1', name: 'search', label: 'Searching', status: 'done', summary: 'ok' };
          yield { type: 'source', title: `Source ${i}`, url: 'https://example.com/a' };
        }
        yield i % 3 === 0 ? word(i) : { type: 'reasoning', text: word(i) };
      }
      return { finishReason: 'stop', usage: null };
    },
  };
}

describe('backpressure', () => {
  it('a slow reader that asked for parts gets merged deltas with text and reasoning each joined, steps and sources whole', async () => {
    const count = 3000;
    await withUnixServer(
      { source: partsSource(count), backpressure: { highWaterBytes: 16 * 1024, slowConsumerMs: 120_000 } },
      async (chat, path) => {
        const client = await RawWebSocket.open({ path }, '/ws');
        client.send({ type: 'hello', v: 1, parts: true });
        client.send({ type: 'send', clientMsgId: 'q1', text: 'go' });
        const stopReading = readSlowly(client, 2048);
        try {
          while (chat.metrics.generations.get({ outcome: 'stop' }) === 0) await sleep(50);
        } finally {
          stopReading();
        }
        client.readAll();
        await client.until(() => parsed(client).some((f) => f.type === 'done'), 60_000);
        const frames = parsed(client);
        const deltas = frames.filter((f) => f.type === 'delta');
        const all = Array.from({ length: count }, (_, i) => i);
        assert.equal(
          deltas.map((d) => d.text).join(''),
          all
            .filter((i) => i % 3 === 0)
            .map((i) => word(i))
            .join(''),
        );
        assert.equal(
          deltas.map((d) => d.reasoning ?? '').join(''),
          all
            .filter((i) => i % 3 !== 0)
            .map((i) => word(i))
            .join(''),
        );
        assert.deepEqual(
          deltas.flatMap((d) => (d.tool ? [d.tool.status] : [])),
          ['running', 'done'],
        );
        assert.deepEqual(
          deltas.flatMap((d) => (d.source ? [d.source.n] : [])),
          [1],
        );
        assemble(frames, deltas[0]?.messageId ?? '');
        assert.ok(
          deltas.some((d) => d.fromSeq !== undefined && d.reasoning && d.text),
          'some merged delta carries both text and reasoning',
        );
        assert.ok(
          deltas.every((d) => (d.tool === undefined && d.source === undefined) || d.fromSeq === undefined),
          'a step or a source is never merged',
        );
        client.destroy();
      },
    );
  });

  it('a client reading 1 KB/s while the source makes 1000 tokens/s: bounded server memory, fewer frames, exact text', async () => {
    const count = 5000;
    const highWaterBytes = 16 * 1024;
    await withUnixServer(
      {
        source: steadySource(count),
        backpressure: { highWaterBytes, slowConsumerMs: 120_000 },
      },
      async (chat, path) => {
        const client = await RawWebSocket.open({ path }, '/ws');
        await startAnswer(client);
        const stopReading = readSlowly(client, 1024);
        let peak = 0;
        const sampler = setInterval(() => {
          peak = Math.max(peak, ...chat.outboundBytes());
        }, 10);
        try {
          // The whole answer is produced while the client reads 1 KB/s.
          while (chat.metrics.generations.get({ outcome: 'stop' }) === 0) await sleep(50);
        } finally {
          clearInterval(sampler);
          stopReading();
        }
        client.readAll();
        await client.until(() => parsed(client).some((f) => f.type === 'done'), 60_000);
        const frames = parsed(client);
        const done = frames.find((f) => f.type === 'done');
        assert.ok(done?.type === 'done');
        const answer = assemble(frames, done.messageId);
        assert.equal(answer.text, answerOf(count), 'the text arrives exactly');
        assert.equal(answer.seq, count);
        assert.equal(done.seq, count);
        const deltas = frames.filter((f) => f.type === 'delta');
        assert.ok(
          deltas.length < count / 2,
          `deltas were coalesced: ${deltas.length} frames for ${count} tokens`,
        );
        assert.ok(chat.metrics.deltasCoalesced.get() > count / 2);
        // Sent one by one, the deltas are ~75 bytes each: ~375 KB would queue in the
        // server. Held back, the server holds at most the mark plus the answer's text.
        const bound = highWaterBytes + Buffer.byteLength(answerOf(count));
        assert.ok(peak > highWaterBytes, `the client was slow enough to matter (peak ${peak} bytes)`);
        assert.ok(peak <= bound, `peak bytes held for the connection: ${peak}, bound ${bound}`);
        client.destroy();
      },
    );
  });

  it('a client too slow for too long is closed with 4008 and resumes exactly', async () => {
    const count = 6000;
    await withUnixServer(
      {
        source: steadySource(count),
        backpressure: { highWaterBytes: 8 * 1024, slowConsumerMs: 1000 },
      },
      async (chat, path) => {
        const slow = await RawWebSocket.open({ path }, '/ws');
        await startAnswer(slow);
        const stopReading = readSlowly(slow, 1024);
        // The server gives up on it.
        while (chat.metrics.slowConsumers.get() === 0) {
          assert.equal(
            chat.metrics.generations.get({ outcome: 'stop' }),
            0,
            'closed before the answer ended',
          );
          await sleep(50);
        }
        stopReading();
        // Reading on, the client finds the close frame behind what was buffered.
        slow.readAll();
        await slow.until(() => slow.closeCode !== undefined, 30_000);
        assert.equal(slow.closeCode, CloseCode.SlowConsumer);
        const before = parsed(slow);
        const welcome = before.find((f) => f.type === 'welcome');
        const start = before.find((f) => f.type === 'start');
        assert.ok(welcome?.type === 'welcome' && start?.type === 'start');
        const held = assemble(before, start.messageId);
        assert.ok(held.seq < count, 'the answer was cut short by the close');
        slow.destroy();

        const again = await RawWebSocket.open({ path }, '/ws');
        again.readAll();
        again.send({
          type: 'hello',
          v: 1,
          conversationId: welcome.conversationId,
          resume: [{ messageId: start.messageId, lastSeq: held.seq }],
        });
        await again.until(() => parsed(again).some((f) => f.type === 'done'), 30_000);
        const resumed = assemble(parsed(again), start.messageId, held.text, held.seq);
        assert.equal(resumed.text, answerOf(count), 'the resumed answer is exact');
        assert.equal(resumed.seq, count);
        again.destroy();
      },
    );
  });

  it('a client that makes more than maxPendingBytes wait is closed with 4008 at once', async () => {
    await withUnixServer(
      {
        source: steadySource(20_000),
        backpressure: { highWaterBytes: 4096, slowConsumerMs: 600_000, maxPendingBytes: 8192 },
      },
      async (chat, path) => {
        const client = await RawWebSocket.open({ path }, '/ws');
        await startAnswer(client); // and reads nothing
        while (chat.metrics.slowConsumers.get() === 0) await sleep(20);
        const [held] = chat.outboundBytes();
        assert.ok(held !== undefined && held <= 4096 + 8192 + 1024, `held for it: ${held} bytes`);
        // The answer goes on; nothing more is written or held for the closed client.
        const tokens = chat.metrics.tokens.get();
        while (chat.metrics.tokens.get() < tokens + 500) await sleep(20);
        assert.deepEqual(chat.outboundBytes(), [held]);
        client.readAll();
        await client.until(() => client.closeCode !== undefined, 30_000);
        assert.equal(client.closeCode, CloseCode.SlowConsumer);
        client.destroy();
      },
    );
  });

  it('PROTOCOL.md 11: a resume replay reaching a reader that is behind is single deltas; merged ones only follow it', async () => {
    const count = 3000;
    // Wide tokens (200 KB/s), so the replay alone is more than the kernel's socket buffer holds.
    const pad = 'x'.repeat(200);
    await withUnixServer(
      {
        source: steadySource(count, pad),
        replayMaxChars: 10 * 1024 * 1024,
        backpressure: { highWaterBytes: 4096, slowConsumerMs: 600_000 },
      },
      async (chat, path) => {
        const first = await RawWebSocket.open({ path }, '/ws');
        first.readAll();
        await startAnswer(first);
        await first.until(() => parsed(first).some((f) => f.type === 'delta' && f.seq >= 200), 30_000);
        const before = parsed(first);
        const welcome = before.find((f) => f.type === 'welcome');
        const start = before.find((f) => f.type === 'start');
        assert.ok(welcome?.type === 'welcome' && start?.type === 'start');
        const held = assemble(before, start.messageId);
        first.destroy();
        while (chat.metrics.tokens.get() < 1500) await sleep(20);

        const again = await RawWebSocket.open({ path }, '/ws');
        again.send({
          type: 'hello',
          v: 1,
          conversationId: welcome.conversationId,
          resume: [{ messageId: start.messageId, lastSeq: held.seq }],
        });
        // Behind from the start: the replay and the live deltas pile up while it reads 2 KB/s.
        const stopReading = readSlowly(again, 2048);
        await sleep(2000);
        stopReading();
        again.readAll();
        await again.until(() => parsed(again).some((f) => f.type === 'done'), 60_000);
        const frames = parsed(again);
        const resumedWelcome = frames[0];
        assert.ok(resumedWelcome?.type === 'welcome');
        const replayedUpTo = resumedWelcome.history.find((m) => m.id === start.messageId)?.seq ?? 0;
        assert.ok(replayedUpTo > held.seq + 1000, `the replay covers ${replayedUpTo - held.seq} deltas`);
        const deltas = frames.filter((f) => f.type === 'delta');
        const merged = deltas.filter((d) => d.fromSeq !== undefined && d.fromSeq < d.seq);
        assert.ok(merged.length > 0, 'live deltas were merged for the slow reader');
        for (const d of merged) {
          assert.ok(
            (d.fromSeq ?? d.seq) > replayedUpTo,
            `merged delta ${d.fromSeq}..${d.seq} reaches into the replay (up to ${replayedUpTo})`,
          );
        }
        const resumed = assemble(frames, start.messageId, held.text, held.seq);
        assert.equal(resumed.text, answerOf(count, pad));
        again.destroy();
      },
    );
  });

  it('PROTOCOL.md 10: a client that stops reading is closed with 4008 at the next heartbeat, and sees the code when it reads again', async () => {
    await withUnixServer({ source: steadySource(20_000), heartbeatMs: 200 }, async (chat, path) => {
      const client = await RawWebSocket.open({ path }, '/ws');
      client.send({ type: 'hello', v: 1 });
      // Reads nothing (so answers no ping) while the server's buffer stays under its mark.
      while (chat.metrics.missedHeartbeats.get() === 0) await sleep(20);
      client.readAll();
      await client.until(() => client.closeCode !== undefined, 10_000);
      assert.equal(client.closeCode, CloseCode.SlowConsumer);
      client.destroy();
    });
  });

  it('a client that never reads is gone within a few seconds of being closed with 4008, not after the 30 s close timeout', async () => {
    await withUnixServer(
      {
        source: steadySource(20_000),
        backpressure: { highWaterBytes: 4096, slowConsumerMs: 500, maxPendingBytes: 16 * 1024 * 1024 },
      },
      async (chat, path) => {
        const client = await RawWebSocket.open({ path }, '/ws');
        await startAnswer(client); // and never reads: it cannot answer the close frame
        await waitUntil(() => chat.metrics.slowConsumers.get() > 0, 'the slow-consumer deadline', 20_000);
        // ws alone would hold the socket 30 s waiting for the client's close frame.
        await waitUntil(() => chat.outboundBytes().length === 0, 'the socket to be dropped', 10_000);
        client.destroy();
      },
    );
  });

  it('rejects bad backpressure options with a TypeError naming them', () => {
    const source = steadySource(1);
    assert.throws(
      () => createChatServer({ source, backpressure: { highWaterBytes: 0 } }),
      /backpressure\.highWaterBytes/,
    );
    assert.throws(
      () => createChatServer({ source, backpressure: { slowConsumerMs: 1.5 } }),
      /backpressure\.slowConsumerMs/,
    );
    assert.throws(
      // @ts-expect-error: not an object
      () => createChatServer({ source, backpressure: 5 }),
      /backpressure must be an object/,
    );
  });
});
