/**
 * A Redis-store node keeps the generation leases it holds renewed from one
 * timer: every lease stays ours past its first deadline, the lease index gets
 * one update per renewal round instead of one per lease, a lease another
 * node took is reported lost, and one that ran out unclaimed is taken back
 * unless its answer was ended elsewhere meanwhile. Against a real redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { RedisStore } from '../../src/server/store/redis/redis-store.js';
import { waitUntil } from '../helpers/kit.js';

/** Calls of `command` Redis has served so far (INFO commandstats). */
async function calls(client: Redis, command: string): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

describe('lease renewals: one timer for all of a node’s leases', () => {
  let redis: RedisProcess;
  let client: Redis;
  before(async () => {
    redis = await startRedisProcess();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.close();
  });

  it('keeps every lease past its deadline, with one index update per round, and reports a lease taken', async () => {
    // A lease of 1.5 s, renewed every 500 ms.
    const store = new RedisStore({ url: redis.url, keyPrefix: 'lr', graceMs: 500, leaseMs: 1500 });
    const LEASES = 40;
    const ids = Array.from({ length: LEASES }, (_, i) => `c_${i}`);
    const lost = new Map<string, number>();
    const stops: Array<() => void> = [];
    try {
      for (const id of ids) assert.equal(await store.acquireLease(id), true);
      const zaddsBefore = await calls(client, 'zadd');
      const evalsBefore = (await calls(client, 'evalsha')) + (await calls(client, 'eval'));
      for (const id of ids) {
        stops.push(
          store.keepLease(
            id,
            () => undefined,
            () => lost.set(id, (lost.get(id) ?? 0) + 1),
          ),
        );
      }
      // Past the leases' first deadline (1.5 s): only the renewals keep them.
      await new Promise((resolve) => setTimeout(resolve, 2600));
      for (const id of ids) {
        assert.equal(await client.get(`lr:{${id}}:lease`), store.nodeId, `${id} is still ours`);
        assert.ok((await client.pttl(`lr:{${id}}:lease`)) > 0);
        const deadline = Number(await client.zscore('lr:leases', id));
        assert.ok(deadline > Date.now(), `${id}'s deadline in the index is ahead`);
      }
      const renewals = (await calls(client, 'evalsha')) + (await calls(client, 'eval')) - evalsBefore;
      const indexUpdates = (await calls(client, 'zadd')) - zaddsBefore;
      // Alive at 2.6 s, each lease was renewed at least twice (the first renewal is due at 0.5 s); rounds
      // are at most six in 2.6 s however late the timer runs, and the index is updated once per round.
      assert.ok(renewals >= LEASES * 2, `every lease renewed at least twice (${renewals} renewals)`);
      assert.ok(indexUpdates <= 12, `one index update per round, not per lease (${indexUpdates})`);
      assert.equal(lost.size, 0);

      // Another node takes one lease (as after we were declared dead): the next round reports it lost.
      await client.set('lr:{c_7}:lease', 'another-node', 'PX', 5000);
      await waitUntil(() => lost.has('c_7'), 'the taken lease reported lost');
      assert.deepEqual([...lost.keys()], ['c_7']);

      // Stopped keeping: a lease runs out.
      for (const stop of stops) stop();
      await waitUntil(
        async () => (await client.exists('lr:{c_0}:lease')) === 0,
        'the lease to run out',
        4000,
      );
    } finally {
      for (const stop of stops) stop();
      await store.close();
    }
  });

  it('takes back a lease that ran out unclaimed, unless its answer was ended elsewhere meanwhile', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'lb', graceMs: 500, leaseMs: 1500 });
    const lost = new Set<string>();
    const stops: Array<() => void> = [];
    try {
      for (const id of ['c_going', 'c_ended']) {
        assert.equal(await store.acquireLease(id), true);
        // The answer this lease generates, as startAnswer stored it; c_ended's was then interrupted by
        // another node (the lease had run out while Redis was away from us).
        const record = { id: `m_${id}`, role: 'assistant', text: '', seq: 0 };
        const ended = id === 'c_ended' ? { finishReason: 'interrupted' } : {};
        await client.hset(`lb:{${id}}:msgs`, `m_${id}`, JSON.stringify({ ...record, ...ended }));
        await client.del(`lb:{${id}}:lease`);
        stops.push(
          store.keepLease(
            id,
            () => `m_${id}`,
            () => lost.add(id),
          ),
        );
      }
      await waitUntil(() => lost.has('c_ended'), 'the lease of the answer ended elsewhere reported lost');
      await waitUntil(
        async () => (await client.get('lb:{c_going}:lease')) === store.nodeId,
        'the lease of the answer still going taken back',
      );
      assert.equal(await client.get('lb:{c_ended}:lease'), null, 'not taken back');
      assert.deepEqual([...lost], ['c_ended']);
    } finally {
      for (const stop of stops) stop();
      await store.close();
    }
  });
});
