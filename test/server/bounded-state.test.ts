/**
 * What one client can make the server keep is bounded: new conversations per
 * address per window, conversations held in memory (least recently active
 * evicted first), messages per conversation (in memory and in Redis), and
 * the history a welcome carries. Each bound has an option and a default.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, Peer } from '../../src/conformance/peer.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { CloseCode, ErrorCode, type ServerFrame } from '../../src/protocol/index.js';
import { createChatServer } from '../../src/server/chat-server.js';
import { askAndTime, quantile } from '../helpers/bystander.js';
import type { Welcome } from '../helpers/frames.js';
import { openConnections, waitUntil, welcomed, withServer } from '../helpers/kit.js';

/** Says hello (into `conversationId`, if given) as `ip`; resolves with the welcome, or the error and close code. */
async function hello(
  url: string,
  ip: string,
  conversationId?: string,
): Promise<{
  client: Peer;
  welcome?: Welcome;
  refused?: { code: string; retryAfterMs?: number; close: number };
}> {
  const client = new Peer(url, { 'x-test-ip': ip });
  await new Promise((resolve) => client.socket.once('open', resolve));
  client.send({ type: 'hello', v: 1, ...(conversationId ? { conversationId } : {}) });
  const first = await client.waitFor((f): f is Welcome | Extract<ServerFrame, { type: 'error' }> =>
    ['welcome', 'error'].includes(f.type),
  );
  if (first.type === 'welcome') return { client, welcome: first };
  return {
    client,
    refused: { code: first.code, retryAfterMs: first.retryAfterMs, close: await client.waitForClose() },
  };
}

const clientIp = (request: { headers: Record<string, unknown> }) => String(request.headers['x-test-ip']);

/** Asks `turns` questions in a row on a welcomed client, each answered before the next. */
async function converse(client: Peer, turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) {
    const from = client.frames.length;
    client.send({ type: 'send', clientMsgId: `t${i}`, text: `question ${i}` });
    await client.waitFor(isType('done'), { from, timeoutMs: 30_000 });
  }
}

/** Ten turns into a server holding 8 messages per conversation: a new welcome carries the newest 8 and omits 12. */
async function tenTurnsKeepEight(url: string): Promise<void> {
  const { client, welcome } = await hello(url, '127.0.0.1');
  assert.ok(welcome);
  await converse(client, 10);
  client.close();
  const back = await hello(url, '127.0.0.1', welcome.conversationId);
  assert.equal(back.welcome?.history.length, 8);
  assert.equal(back.welcome?.omitted, 12);
  assert.equal(back.welcome?.history[0]?.text, 'question 6', 'the newest four turns are kept');
  back.client.close();
}

describe('bounded state', () => {
  it('new conversations per address per window: the next hello gets rate_limited and 4029; reopening is free', async () => {
    await withServer(
      { clientIp, maxNewConversationsPerIp: 3, newConversationWindowMs: 60_000 },
      async (url) => {
        const made = [];
        for (let i = 0; i < 3; i++) {
          const { client, welcome } = await hello(url, '10.0.0.1');
          assert.ok(welcome);
          made.push(welcome.conversationId);
          client.close();
        }
        const over = await hello(url, '10.0.0.1');
        assert.equal(over.refused?.code, ErrorCode.RateLimited);
        assert.ok((over.refused?.retryAfterMs ?? 0) > 0);
        assert.equal(over.refused?.close, CloseCode.TooMany);
        // Opening one it already has creates nothing, so it is not counted.
        const again = await hello(url, '10.0.0.1', made[0]);
        assert.equal(again.welcome?.conversationId, made[0]);
        again.client.close();
        // Another address has its own budget.
        const other = await hello(url, '10.0.0.2');
        assert.ok(other.welcome);
        other.client.close();
      },
    );
  });

  it('an address flooding hellos is refused past its budget while a bystander streams on', async (t) => {
    await withServer(
      {
        clientIp,
        maxNewConversationsPerIp: 20,
        // A window far longer than the test: no budget comes back while it runs, however slow the machine.
        newConversationWindowMs: 3_600_000,
        source: createMockSource({ seed: 1, tokensPerSecond: 200 }),
      },
      async (url) => {
        const bystander = await welcomed(url, { headers: { 'x-test-ip': '10.9.9.9' } });
        const answered = askAndTime(bystander, 'beside a hello flood');
        const outcomes = await Promise.all(
          Array.from({ length: 300 }, async () => {
            const { client, welcome } = await hello(url, '10.0.0.66');
            client.close();
            return welcome ? 'welcomed' : 'refused';
          }),
        );
        assert.equal(outcomes.filter((o) => o === 'welcomed').length, 20, 'the budget, no more');
        const { text, gaps } = await answered;
        assert.equal(text, mockAnswerFor('beside a hello flood', 0, 1, 1));
        const p99 = quantile(gaps, 0.99);
        t.diagnostic(`bystander p99 token gap ${p99.toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms`);
        bystander.close();
      },
    );
  });

  it('conversations in memory: a new one evicts the least recently active idle one; all in use refuses with busy', async () => {
    await withServer({ clientIp, maxConversations: 3 }, async (url, server) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { client, welcome } = await hello(url, `10.1.0.${i}`);
        assert.ok(welcome);
        ids.push(welcome.conversationId);
        client.close();
      }
      await waitUntil(
        async () => (await openConnections(server.url)) === 0,
        'the closes to reach the server',
      );
      const fourth = await hello(url, '10.1.0.9');
      assert.ok(fourth.welcome, 'a fourth conversation evicts one');
      // The oldest was evicted: asking for it opens a new conversation. The others are kept.
      const oldest = await hello(url, '10.1.0.0', ids[0]);
      assert.notEqual(oldest.welcome?.conversationId, ids[0]);
      const kept = await hello(url, '10.1.0.2', ids[2]);
      assert.equal(kept.welcome?.conversationId, ids[2]);
      // Now every one of the three is followed: nothing may be evicted.
      const full = await hello(url, '10.1.0.8');
      assert.equal(full.refused?.code, ErrorCode.Busy);
      assert.equal(full.refused?.close, CloseCode.TooMany);
      for (const c of [fourth.client, oldest.client, kept.client]) c.close();
    });
  });

  it('messages per conversation: older answered ones are dropped, and the welcome says how many it leaves out', async () => {
    await withServer({ maxHistoryMessages: 8 }, tenTurnsKeepEight);
  });

  it('retention in memory: a conversation nobody follows is forgotten conversationTtlMs after its last activity', async () => {
    await withServer({ conversationTtlMs: 1000 }, async (url) => {
      const { client, welcome } = await hello(url, '127.0.0.1');
      assert.ok(welcome);
      // While followed it is kept, however long (two sweeps pass here).
      await new Promise((resolve) => setTimeout(resolve, 2500)); // the absence of an expiry needs real time
      const again = await hello(url, '127.0.0.1', welcome.conversationId);
      assert.equal(again.welcome?.conversationId, welcome.conversationId);
      client.close();
      again.client.close();
      // Nobody follows it now: within a sweep after the TTL, asking for it opens a new one.
      await waitUntil(
        async () => {
          const probe = await hello(url, '127.0.0.1', welcome.conversationId);
          probe.client.close();
          return probe.welcome?.conversationId !== welcome.conversationId || undefined;
        },
        'the conversation to expire',
        10_000,
        300, // each probe follows it for a moment; probing slower leaves the sweeps free to run
      );
    });
  });

  it('a welcome carries at most welcomeHistoryChars of text, newest first, and counts the rest in omitted', async () => {
    await withServer({ welcomeHistoryChars: 3000 }, async (url) => {
      const { client, welcome } = await hello(url, '127.0.0.1');
      assert.ok(welcome);
      await converse(client, 6);
      client.close();
      const back = await hello(url, '127.0.0.1', welcome.conversationId);
      const history = back.welcome?.history ?? [];
      const chars = history.reduce((n, m) => n + (m.text?.length ?? 0), 0);
      assert.ok(history.length > 0 && history.length < 12, `${history.length} of 12 messages`);
      assert.ok(chars <= 3000, `${chars} characters`);
      assert.equal(back.welcome?.omitted, 12 - history.length);
      assert.equal(history.at(-1)?.role, 'assistant', 'the newest message is in it');
      back.client.close();
    });
  });

  it('rejects bad bounds with a TypeError naming the option', () => {
    const source = createMockSource();
    for (const [options, message] of [
      [{ maxConversations: 0 }, /maxConversations must be a positive integer/],
      [{ maxNewConversationsPerIp: 1.5 }, /maxNewConversationsPerIp must be a positive integer/],
      [{ newConversationWindowMs: -1 }, /newConversationWindowMs must be a positive integer/],
      [{ maxHistoryMessages: 5 }, /maxHistoryMessages must be at least/],
      [{ welcomeHistoryChars: 0 }, /welcomeHistoryChars must be a positive integer/],
    ] as const) {
      assert.throws(() => createChatServer({ source, ...options }), message);
    }
  });
});

describe('bounded state in Redis', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedisProcess();
  });
  after(async () => {
    await redis.close();
  });

  it('trims each conversation to maxHistoryMessages in Redis too, counting what it dropped', async () => {
    await withServer({ redis: redis.url, maxHistoryMessages: 8 }, tenTurnsKeepEight);
    // Redis itself holds no more than the bound.
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    try {
      const orders = await r.keys('aisc:*:order');
      assert.ok(orders.length > 0);
      for (const key of orders) assert.ok((await r.llen(key)) <= 8, `${key} holds ${await r.llen(key)}`);
      for (const key of await r.keys('aisc:*:msgs')) assert.ok((await r.hlen(key)) <= 9, key); // + the trimmed count
    } finally {
      r.disconnect();
    }
  });

  it('retention in Redis: every key of a conversation expires historyTtlMs after its last message', async () => {
    const historyTtlMs = 60_000;
    await withServer({ redis: { url: redis.url, historyTtlMs, keyPrefix: 'ttl' } }, async (url) => {
      const { client, welcome } = await hello(url, '127.0.0.1');
      assert.ok(welcome);
      await converse(client, 1);
      client.close();
    });
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    try {
      const keys = (await r.keys('ttl:{*')).filter((k) => !k.includes(':d:'));
      assert.ok(keys.length >= 4, `${keys}`);
      for (const key of keys) {
        const ttl = await r.pttl(key);
        assert.ok(ttl > 0 && ttl <= historyTtlMs, `${key} expires in ${ttl} ms`);
      }
    } finally {
      r.disconnect();
    }
  });
});
