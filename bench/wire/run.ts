/**
 * npm run bench:wire — what an answer costs on the wire: bytes received per
 * byte of answer text, frames per answer and bytes per frame, for mock
 * answers streamed at 20, 50 and 1000 tokens/s and as fast as possible, on
 * the in-memory and the Redis store, for a version-1 client, a client that
 * asks for compact deltas, and (with --deflate) one with permessage-deflate.
 *
 * Two ratios to the answer's text (its UTF-8 bytes): the delta frames alone
 * (payload plus WebSocket header, computed per frame; not for deflate, whose
 * per-frame size the client does not see), which is what streaming the
 * answer costs; and everything the client's TCP socket read from the `user`
 * frame of its question to the answer's `done` (user, ack, start, deltas,
 * done; not the handshake or the welcome). Every answer is checked exact
 * against the mock's text.
 *
 * Flags: --rates 20,50,1000,max  --stores memory,redis  --answers <n per cell, default 3>  --out <file>
 *        --deflate (a third client, version 1 with permessage-deflate)  --window <ms> (the server's
 *        delta window; 0 with the version-1 client is how every answer was sent before the window)
 */
import { writeFileSync } from 'node:fs';
import type { ClientRequestArgs } from 'node:http';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';

type ClientKind = 'v1' | 'compact' | 'deflate';

interface Cell {
  store: 'memory' | 'redis';
  rate: number;
  client: ClientKind;
  answers: number;
  textBytes: number;
  wireBytes: number;
  frames: number;
  deltaFrames: number;
  deltaBytes: number;
}

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '20,50,1000,max' },
    stores: { type: 'string', default: 'memory,redis' },
    answers: { type: 'string', default: '3' },
    deflate: { type: 'boolean', default: false },
    window: { type: 'string' },
    out: { type: 'string', default: 'bench/results/wire.json' },
  },
});
const rates = values.rates.split(',').map((r) => (r === 'max' ? Number.POSITIVE_INFINITY : Number(r)));
const stores = values.stores.split(',') as Cell['store'][];
const answersPerCell = Number(values.answers);
const clients: ClientKind[] = values.deflate ? ['v1', 'compact', 'deflate'] : ['v1', 'compact'];
const SEED = 11;

/** Asks one question on a fresh connection; resolves with what the answer cost on the wire. */
async function askOnce(
  wsUrl: string,
  client: ClientKind,
  question: string,
): Promise<{ wireBytes: number; frames: number; deltaFrames: number; deltaBytes: number; text: string }> {
  let tcp: Socket | undefined;
  const socket = new WebSocket(wsUrl, {
    perMessageDeflate: client === 'deflate',
    createConnection: (options: ClientRequestArgs) => {
      tcp = connect({ port: Number(options.port), host: options.hostname ?? options.host ?? '127.0.0.1' });
      return tcp;
    },
  });
  let from = 0;
  let frames = 0;
  let deltaFrames = 0;
  let deltaBytes = 0;
  let text = '';
  let messageId: string | undefined;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const parsed: unknown = JSON.parse(String(data));
      // A compact delta may be the text alone, as a JSON string.
      const frame = (typeof parsed === 'string' ? { d: parsed } : parsed) as Record<string, unknown>;
      if (frame.type === 'welcome') {
        from = tcp?.bytesRead ?? 0;
        socket.send(JSON.stringify({ type: 'send', clientMsgId: 'q', text: question }));
        return;
      }
      frames++;
      if (frame.type === 'start') messageId = frame.messageId as string;
      if (frame.type === 'delta' || typeof frame.d === 'string') {
        deltaFrames++;
        deltaBytes += frameBytes((data as Buffer).length);
        text += (frame.text ?? frame.d) as string;
      }
      if (frame.type === 'done' && frame.messageId === messageId) resolve();
    });
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', v: 1, ...(client === 'compact' ? { compact: true } : {}) }));
  await done;
  const wireBytes = (tcp?.bytesRead ?? 0) - from;
  socket.terminate();
  return { wireBytes, frames, deltaFrames, deltaBytes, text };
}

/** A server frame on the wire: its payload and the header (unmasked) that says how long it is. */
function frameBytes(payload: number): number {
  return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

async function measure(wsUrl: string, store: Cell['store'], rate: number): Promise<Cell[]> {
  return Promise.all(
    clients.map(async (client) => {
      const cell: Cell = {
        store,
        rate,
        client,
        answers: 0,
        textBytes: 0,
        wireBytes: 0,
        frames: 0,
        deltaFrames: 0,
        deltaBytes: 0,
      };
      await Promise.all(
        Array.from({ length: answersPerCell }, async (_, i) => {
          const question = `question ${i} for ${client}`;
          const answer = await askOnce(wsUrl, client, question);
          const expected = mockAnswerFor(question, 0, SEED, 1);
          if (answer.text !== expected)
            throw new Error(`${store} ${rate} ${client}: the answer is not exact`);
          cell.answers++;
          cell.textBytes += Buffer.byteLength(answer.text);
          cell.wireBytes += answer.wireBytes;
          cell.frames += answer.frames;
          cell.deltaFrames += answer.deltaFrames;
          cell.deltaBytes += answer.deltaBytes;
        }),
      );
      return cell;
    }),
  );
}

async function main(): Promise<void> {
  let redis: RedisProcess | undefined;
  const cells: Cell[] = [];
  try {
    for (const store of stores) {
      if (store === 'redis') redis = await startRedisProcess();
      for (const rate of rates) {
        const server: DevServer = await startDevServer({
          port: 0,
          source: createMockSource({ tokensPerSecond: rate, seed: SEED }),
          ...(store === 'redis' && redis ? { redis: redis.url } : {}),
          ...(values.deflate ? { perMessageDeflate: true } : {}),
          ...(values.window === undefined ? {} : { deltaWindowMs: Number(values.window) }),
        });
        try {
          cells.push(...(await measure(`${server.url.replace(/^http/, 'ws')}/ws`, store, rate)));
        } finally {
          await server.close();
        }
      }
    }
  } finally {
    await redis?.close();
  }
  const rows = cells.map((c) => ({
    store: c.store,
    tokensPerSecond: Number.isFinite(c.rate) ? c.rate : 'max',
    client: c.client,
    deltasPerTextByte: c.client === 'deflate' ? null : Number((c.deltaBytes / c.textBytes).toFixed(2)),
    wirePerTextByte: Number((c.wireBytes / c.textBytes).toFixed(2)),
    framesPerAnswer: Number((c.frames / c.answers).toFixed(1)),
    deltasPerAnswer: Number((c.deltaFrames / c.answers).toFixed(1)),
    bytesPerFrame: Number((c.wireBytes / c.frames).toFixed(1)),
    textBytesPerAnswer: Math.round(c.textBytes / c.answers),
  }));
  console.table(rows);
  writeFileSync(values.out, `${JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
}

await main();
