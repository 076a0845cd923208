/**
 * A stalled Redis (connected, silent) fails a delta write after the store's
 * grace, as ioredis's `commandTimeout` fails every other command: the delta
 * batch stands in for ioredis's per-command timers with one watchdog, and
 * this holds it to what they did. A real redis-server, stalled with SIGSTOP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { DeltaBatch, type DeltaWrite } from '../../src/server/store/redis/delta-batch.js';

const GRACE_MS = 400;

describe('delta writes to a stalled Redis', () => {
  let redis: RedisProcess;
  let client: Redis;
  before(async () => {
    redis = await startRedisProcess();
    client = new Redis(redis.url, { commandTimeout: GRACE_MS, maxRetriesPerRequest: 1 });
    await client.ping();
  });
  after(async () => {
    client.disconnect();
    await redis.close();
  });

  const write = (seq: number): DeltaWrite => ({
    key: 'aisc:{c}:d:m',
    id: `${seq}-0`,
    fields: ['t', `token ${seq} `],
    publish: {
      channel: 'aisc:{c}:dv',
      event: JSON.stringify({ t: 'd', id: 'm', s: seq, x: `token ${seq} ` }),
    },
  });

  it('fail after the grace while Redis is silent, and are stored again once it answers', {
    timeout: 20_000,
  }, async () => {
    const batch = new DeltaBatch(client, GRACE_MS);
    await batch.append(write(1));
    process.kill(redis.pid as number, 'SIGSTOP');
    try {
      const stalled = [batch.append(write(2)), batch.append(write(3))];
      for (const pending of stalled) await assert.rejects(pending, /timed out/);
    } finally {
      process.kill(redis.pid as number, 'SIGCONT');
    }
    // The stalled writes reach Redis when it wakes (they were sent); a later delta is stored too.
    await batch.append(write(4));
    const ids = (await client.xrange('aisc:{c}:d:m', '-', '+')).map(([id]) => id);
    assert.deepEqual(ids, ['1-0', '2-0', '3-0', '4-0']);
    // The options ioredis reads for other commands are as they were.
    assert.equal(client.options.commandTimeout, GRACE_MS);
  });
});
