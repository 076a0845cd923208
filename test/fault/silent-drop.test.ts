/**
 * A connection that goes silent without closing (a dead NAT mapping, a
 * sleeping laptop) is detected by the client's heartbeat: it reconnects,
 * resumes, and the answer still lands exactly once. With both conversation
 * stores (memory and Redis).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { type DevServer, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { askOnce } from './ask.js';
import { ChaosProxy } from './chaos-proxy.js';

for (const store of ['memory', 'redis'] as const) {
  describe(`silent drop (${store} store)`, () => {
    let server: DevServer;
    let redis: RedisProcess | undefined;
    before(async () => {
      if (store === 'redis') redis = await startRedisProcess();
      server = await startDevServer({
        ...(redis ? { redis: redis.url } : {}),
        port: 0,
        heartbeatMs: 150,
        source: createMockSource({ seed: 2, tokensPerSecond: 500, sections: 1 }),
      });
    });
    after(async () => {
      await server.close();
      await redis?.close();
    });

    it('the client notices 2x heartbeat of silence, reconnects and resumes', async () => {
      // The first connection goes silent halfway through the answer: past the handshake, the
      // welcome and the question's frames (about 600 bytes), half its text (compact deltas).
      const stallAt = 600 + Math.floor(Buffer.byteLength(mockAnswerFor('hello', 0, 2, 1)) / 2);
      const proxy = new ChaosProxy(
        { host: '127.0.0.1', port: Number(new URL(server.url).port) },
        1,
        (index) => ({
          stallAfterBytes: index === 0 ? stallAt : undefined,
          maxPiece: 512,
          maxDelayMs: 0,
          delayChance: 0,
        }),
      );
      const port = await proxy.listen();
      const details: string[] = [];
      try {
        const messages = await askOnce(`ws://127.0.0.1:${port}/ws`, 'hello', {
          label: 'silent drop',
          timeoutMs: 20_000,
          statuses: details,
        });
        assert.ok(details.includes('reconnecting:heartbeat timeout'), details.join(', '));
        assert.ok(proxy.connections >= 2);
        const answers = messages.filter((m) => m.role === 'assistant');
        assert.equal(answers.length, 1);
        assert.equal(answers[0]?.text, mockAnswerFor('hello', 0, 2, 1));
      } finally {
        await proxy.close();
      }
    });
  });
}
