/**
 * Every answer lands exactly once, byte-identical to what the source
 * produced, through connections cut at random byte offsets, split into
 * random pieces and delayed. The client is the widget's own protocol code
 * (ChatSession) running in Node over `ws`. Runs against every conversation
 * store: this process's memory, Redis (a real redis-server), and a Redis
 * Cluster of 3 masters and 3 replicas. Every answer also thinks, takes a
 * tool step and cites two sources (PROTOCOL.md section 16): half the clients
 * ask for those parts and must hold each of them byte-identical too; the
 * other half, version-1 clients, must get the text alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type RedisClusterProcesses,
  type RedisProcess,
  startRedisCluster,
  startRedisProcess,
} from '../../scripts/redis-process.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor, mockPartsFor } from '../../src/dev-server/sources/mock-answer.js';
import type { AnswerParts } from '../../src/protocol/index.js';
import { askOnce } from './ask.js';
import { ChaosProxy } from './chaos-proxy.js';

const RUNS = 200;
const CONCURRENCY = 8;
const SEED = 5;
const SECTIONS = 2;
/** Which runs' clients ask for parts. */
const asksForParts = (seed: number): boolean => seed % 4 < 2;
const { reasoning, tool, sources } = mockPartsFor(0, SEED);
const EXPECTED_PARTS: AnswerParts = {
  reasoning,
  tools: [{ ...tool, status: 'done' }],
  sources: sources.map((s, i) => ({ n: i + 1, ...s })),
};

interface RunResult {
  seed: number;
  text: string;
  /** The answer's other parts as the client holds them. */
  parts: AnswerParts;
  messages: { role: string; status: string }[];
  connections: number;
  cuts: number;
}

async function run(seed: number, server: DevServer): Promise<RunResult> {
  const port = Number(new URL(server.url).port);
  const cutsWanted = 2 + (seed % 3);
  // The streamed answer carries at least its text (compact deltas add a little, full frames much more).
  const answerBytes = Buffer.byteLength(mockAnswerFor(`question ${seed}`, 0, SEED, SECTIONS));
  const proxy = new ChaosProxy({ host: '127.0.0.1', port }, seed, (index, random) => ({
    // The first connection is cut somewhere in the streamed answer;
    // later ones within the bytes any connection carries (handshake, welcome, replay, a few deltas),
    // so most runs are cut several times however the resume is served.
    cutAfterBytes:
      index === 0
        ? 150 + Math.floor(random() * answerBytes)
        : index < cutsWanted
          ? 150 + Math.floor(random() * 2_500)
          : undefined,
    // Pieces from 1 byte up: WebSocket frames and even their headers arrive split.
    maxPiece: 4 + Math.floor(random() * 400),
    maxDelayMs: 3,
    delayChance: 0.05,
  }));
  const proxyPort = await proxy.listen();
  try {
    const parts = new Map<string, AnswerParts>();
    const messages = await askOnce(`ws://127.0.0.1:${proxyPort}/ws`, `question ${seed}`, {
      label: `seed ${seed}`,
      ...(asksForParts(seed) ? { parts } : {}),
    });
    const answer = messages.find((m) => m.role === 'assistant');
    const held = parts.get(answer?.id ?? '') ?? {};
    return {
      seed,
      text: answer?.text ?? '',
      parts: { reasoning: held.reasoning, tools: held.tools, sources: held.sources },
      messages: messages.map((m) => ({ role: m.role, status: m.status })),
      connections: proxy.connections,
      cuts: proxy.cuts,
    };
  } finally {
    await proxy.close();
  }
}

for (const store of ['memory', 'redis', 'redis-cluster'] as const) {
  describe(`exactly once through a hostile network (${store} store)`, () => {
    let roomy: DevServer;
    let tight: DevServer;
    let redis: RedisProcess | undefined;
    let cluster: RedisClusterProcesses | undefined;
    before(async () => {
      if (store === 'redis') redis = await startRedisProcess();
      if (store === 'redis-cluster') cluster = await startRedisCluster();
      // Every run is a new conversation from 127.0.0.1: lift the per-address creation limit (default 60 a minute).
      const stored = {
        maxNewConversationsPerIp: 1_000_000,
        ...(redis ? { redis: redis.url } : {}),
        ...(cluster ? { redis: { cluster: cluster.seeds } } : {}),
      };
      const source = () =>
        createMockSource({ seed: SEED, tokensPerSecond: 4000, sections: SECTIONS, parts: true });
      roomy = await startDevServer({ port: 0, source: source(), ...stored });
      // Keeps so few deltas that most resumes must be served by a snapshot.
      tight = await startDevServer({ port: 0, source: source(), replayMaxChars: 64, ...stored });
    });
    after(async () => {
      await roomy.close();
      await tight.close();
      await redis?.close();
      await cluster?.close();
    });

    it(`${RUNS} seeded runs with several cuts each: every answer exactly once, byte-identical`, async () => {
      const results: RunResult[] = [];
      const seeds = Array.from({ length: RUNS }, (_, i) => i + 1);
      for (let i = 0; i < seeds.length; i += CONCURRENCY) {
        const batch = seeds.slice(i, i + CONCURRENCY);
        results.push(...(await Promise.all(batch.map((seed) => run(seed, seed % 2 ? roomy : tight)))));
      }
      for (const r of results) {
        assert.equal(r.text, mockAnswerFor(`question ${r.seed}`, 0, SEED, SECTIONS), `seed ${r.seed}`);
        assert.deepEqual(
          r.parts,
          asksForParts(r.seed)
            ? EXPECTED_PARTS
            : { reasoning: undefined, tools: undefined, sources: undefined },
          `seed ${r.seed}: every part exactly once (a version-1 client: none)`,
        );
        assert.deepEqual(
          r.messages,
          [
            { role: 'user', status: 'done' },
            { role: 'assistant', status: 'done' },
          ],
          `seed ${r.seed}: one question, one answer`,
        );
        assert.ok(r.cuts >= 1, `seed ${r.seed}: the proxy cut at least once`);
        assert.ok(r.connections >= 2, `seed ${r.seed}: the client reconnected`);
      }
      const cuts = results.reduce((n, r) => n + r.cuts, 0);
      console.log(`fault suite (${store} store): ${cuts} cuts over ${RUNS} runs`);
      assert.ok(cuts >= 2 * RUNS, `${cuts} cuts over ${RUNS} runs`);
    });
  });
}
