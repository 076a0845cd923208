/**
 * The --redis part of npm run bench:server: starts a redis-server on a free
 * port (Debian's, installed like the test suite does when missing), runs each
 * level in memory and on two Redis nodes, samples Redis's memory, measures
 * what a stored conversation costs, and adds it all to bench/results/server.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { startDevServer } from '../../dist/node/dev-server/dev-server.js';
import { createMockSource } from '../../dist/node/dev-server/sources/mock.js';
import { startRedisProcess } from '../../scripts/redis-process.mjs';
import { ensureRedisServer } from '../../scripts/system-deps.mjs';

const resultsFile = new URL('../results/server.json', import.meta.url);
const round = (n, digits = 1) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));

async function startRedisServer() {
  ensureRedisServer();
  const redis = await startRedisProcess();
  const client = new Redis(redis.url);
  await client.ping();
  return {
    url: redis.url,
    pid: redis.pid,
    client,
    async stop() {
      client.disconnect();
      await redis.close();
    },
  };
}

async function keys(client, pattern) {
  const out = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== '0');
  return out;
}

/** Redis's used memory and what it holds: conversations, delta streams and their entries. */
async function sample(client) {
  const info = await client.info('memory');
  const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1]);
  const streams = await keys(client, 'aisc:*:d:*');
  const pipeline = client.pipeline();
  for (const k of streams) pipeline.xlen(k);
  const lengths = streams.length ? (await pipeline.exec()).map(([, n]) => n) : [];
  const conversations = (await keys(client, 'aisc:*:meta')).length;
  return { usedMemory, streams: streams.length, deltas: lengths.reduce((a, b) => a + b, 0), conversations };
}

/** Redis's commands so far (calls by command, from INFO commandstats) and its CPU seconds (INFO cpu). */
async function stats(client) {
  const commandstats = await client.info('commandstats');
  const calls = {};
  for (const [, name, n] of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[name] = Number(n);
  // The bench's own sampling (INFO; SCAN and XLEN for Redis's memory) is not the store's work.
  for (const own of ['info', 'scan', 'xlen']) delete calls[own];
  const cpu = await client.info('cpu');
  const seconds = (field) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls, cpuSeconds: seconds('used_cpu_sys') + seconds('used_cpu_user') };
}

/** One conversation: say hello, ask, wait for the end. */
function converse(url, question) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let chars = 0;
    socket.on('open', () => socket.send('{"type":"hello","v":1}'));
    socket.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'welcome')
        socket.send(JSON.stringify({ type: 'send', clientMsgId: 'q', text: question }));
      if (f.type === 'delta') chars += f.text.length;
      if (f.type === 'done') {
        socket.close();
        resolve(chars);
      }
    });
    socket.on('error', reject);
  });
}

/** Bytes of Redis memory per stored conversation (one question, one mock answer), with and without its delta stream. */
async function storageCost(redis, count = 500) {
  await redis.client.flushall();
  const server = await startDevServer({
    port: 0,
    redis: redis.url,
    source: createMockSource({ seed: 1, tokensPerSecond: Number.POSITIVE_INFINITY, sections: 1 }),
    maxConnectionsPerIp: 1_000_000,
    maxNewConversationsPerIp: 1_000_000,
  });
  const url = `${server.url.replace(/^http/, 'ws')}/ws`;
  const before = await sample(redis.client);
  let chars = 0;
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => converse(url, `question ${i + j}`)));
    chars += batch.reduce((a, b) => a + b, 0);
  }
  await server.close();
  const withStreams = await sample(redis.client);
  // What the retention leaves: the history without the delta streams.
  for (const k of await keys(redis.client, 'aisc:*:d:*')) await redis.client.del(k);
  const historyOnly = await sample(redis.client);
  return {
    conversations: count,
    answerCharsAverage: round(chars / count),
    deltasPerAnswerAverage: round(withStreams.deltas / count),
    bytesPerConversationWithDeltaStream: Math.round((withStreams.usedMemory - before.usedMemory) / count),
    bytesPerStoredConversation: Math.round((historyOnly.usedMemory - before.usedMemory) / count),
  };
}

export async function runRedisLevels({ levels, rate, warmupMs, measureMs, runOne, fdLimit, held, pinned }) {
  const redis = await startRedisServer();
  const version = /redis_version:(\S+)/.exec(await redis.client.info('server'))?.[1] ?? null;
  process.stdout.write(
    `server bench --redis: ${levels.join(', ')} connections × ${rate} tokens/s; memory (1 node) vs Redis ${version} (2 nodes)\n`,
  );
  const results = [];
  const failures = [];
  try {
    for (const connections of levels) {
      let memory;
      let multi;
      try {
        process.stdout.write(`  ${connections} connections: memory store, one node…\n`);
        memory = await runOne('chat', connections);
        await redis.client.flushall();
        process.stdout.write(`  ${connections} connections: Redis store, two nodes…\n`);
        multi = await runOne('chat-redis', connections, {
          redisUrl: redis.url,
          redisPid: redis.pid,
          sample: () => sample(redis.client),
          stats: () => stats(redis.client),
        });
      } catch (error) {
        failures.push({ connections, store: 'redis', error: String(error?.message ?? error) });
        process.stdout.write(`  ${connections} connections FAILED: ${error?.message ?? error}\n`);
        continue;
      }
      const { before, during } = multi.redis;
      results.push({
        store: 'redis',
        nodes: 2,
        connections,
        opened: multi.open,
        tokensPerConnectionPerSec: rate,
        offeredTokensPerSec: connections * rate,
        tokensPerSec: round(multi.tokensPerSec),
        memoryTokensPerSec: round(memory.tokensPerSec),
        ratioVsMemory: round(multi.tokensPerSec / memory.tokensPerSec, 3),
        p50LatencyMs: round(multi.p50LatencyMs, 2),
        p99LatencyMs: round(multi.p99LatencyMs, 2),
        maxLatencyMs: round(multi.maxLatencyMs, 2),
        memoryP50LatencyMs: round(memory.p50LatencyMs, 2),
        memoryP99LatencyMs: round(memory.p99LatencyMs, 2),
        latenessGrowthMs: round(multi.latenessGrowthMs, 1),
        memoryLatenessGrowthMs: round(memory.latenessGrowthMs, 1),
        held: held(multi, connections),
        memoryHeld: held(memory, connections),
        nodeCpuPercent: round(multi.nodeCpuPercent),
        nodeCpuPercentPer1000Streams: round((multi.nodeCpuPercent * 1000) / connections),
        memoryCpuPercent: round(memory.cpuPercent),
        redisCpuPercent: round(multi.redisCpuPercent),
        redisCommandsPerSec: Math.round(multi.redisCommandsPerSec),
        redisCommandsPerSecByName: Object.fromEntries(
          Object.entries(multi.redisCommands).map(([name, perSec]) => [name, Math.round(perSec)]),
        ),
        rssBytesPerConnection: Math.round(multi.rssBytesPerConnection),
        idleBytesPerConnection: Math.round(multi.idleBytesPerConnection),
        memoryRssBytesPerConnection: Math.round(memory.rssBytesPerConnection),
        redisUsedMemoryBytes: during.usedMemory,
        redisStreams: during.streams,
        redisDeltasStored: during.deltas,
        redisBytesPerActiveStream: Math.round(
          (during.usedMemory - before.usedMemory) / Math.max(1, during.streams),
        ),
        redisBytesPerDelta: round((during.usedMemory - before.usedMemory) / Math.max(1, during.deltas)),
        errors: multi.errors,
        errorKinds: multi.errorKinds,
        memoryErrors: memory.errors,
      });
    }
    process.stdout.write('  stored conversations: measuring Redis memory per conversation…\n');
    const storage = await storageCost(redis);

    let previous = {};
    try {
      previous = JSON.parse(readFileSync(resultsFile, 'utf8'));
    } catch {}
    const out = {
      ...previous,
      levels: [
        ...(previous.levels ?? []).filter((l) => l.store !== 'redis').map((l) => ({ store: 'memory', ...l })),
        ...results,
      ],
      redis: {
        date: new Date().toISOString(),
        version,
        nodes: 2,
        openFileLimit: fdLimit(),
        warmupMs,
        measureMs,
        note: 'each Redis level ran right after a memory run of the same level in the same invocation; ratioVsMemory compares the two',
        pinned: pinned
          ? 'memory: the node on core 0; Redis: both nodes and redis-server on core 0; the load generator on core 1'
          : false,
        storage,
        failures,
      },
    };
    writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
    const header = [
      'conns',
      'redis tok/s',
      'mem tok/s',
      'ratio',
      'p99 ms',
      'mem p99',
      'grows ms',
      'held',
      'mem held',
      'nodes cpu %',
      'mem cpu %',
      'redis cpu %',
      'redis cmd/s',
      'B/conn',
      'redis B/stream',
      'B/delta',
      'errors',
    ];
    const rows = results.map((l) => [
      l.connections,
      l.tokensPerSec,
      l.memoryTokensPerSec,
      l.ratioVsMemory,
      l.p99LatencyMs,
      l.memoryP99LatencyMs,
      l.latenessGrowthMs,
      l.held ? 'yes' : 'NO',
      l.memoryHeld ? 'yes' : 'NO',
      l.nodeCpuPercent,
      l.memoryCpuPercent,
      l.redisCpuPercent,
      l.redisCommandsPerSec,
      l.rssBytesPerConnection,
      l.redisBytesPerActiveStream,
      l.redisBytesPerDelta,
      l.errors,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
    process.stdout.write(
      `\n${line(header)}\n${rows.map(line).join('\n')}\n\nstorage: ${JSON.stringify(storage)}\nwrote bench/results/server.json\n`,
    );
  } finally {
    await redis.stop();
  }
}
