/**
 * npm run bench:server — the chat server against a raw ws baseline, under the
 * same load, in one run. For each level (connections × tokens/s each), a fresh
 * target server and a load generator start as separate processes on
 * 127.0.0.1; after a warm-up the load generator measures delivered tokens/s
 * and produce→receive latency, and this script samples the server's RSS with
 * the connections idle (welcomed, nothing streaming) and while streaming.
 * Writes bench/results/server.json and prints a table.
 *
 * With --redis, each level runs the chat server in memory (one node) and on
 * the Redis store (two nodes sharing a redis-server the bench starts, load
 * spread over both), and adds the Redis levels (store: 'redis', with their
 * ratio to the memory run of the same invocation and Redis's own memory) to
 * bench/results/server.json, keeping the levels already there.
 *
 * Environment: BENCH_LEVELS=100,1000,5000  BENCH_RATE=20  BENCH_WARMUP_MS=3000  BENCH_MEASURE_MS=8000
 *   BENCH_COMPACT=0 (the load is version-1 clients; default: compact deltas, as the widget asks)
 *   BENCH_DELTA_WINDOW_MS=<n> (the chat server's delta window; 0: a delta per token)
 *   BENCH_DEFLATE=1 (clients and chat server use permessage-deflate; the baseline does not)
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runRedisLevels } from './redis.mjs';

const here = new URL('.', import.meta.url);
const levels = (process.env.BENCH_LEVELS ?? '100,1000,5000').split(',').map(Number);
const rate = Number(process.env.BENCH_RATE ?? 20);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const measureMs = Number(process.env.BENCH_MEASURE_MS ?? 8000);

function fdLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3]);
  } catch {
    return null;
  }
}

function nextMessage(child, type, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) waiting for ${type}`)));
  });
}

/** The server's resident memory from /proc, so an overloaded server is still measured. */
function procRss(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1]) * 1024;
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** RSS after asking the (quiet) server to collect garbage; a busy one is read as it is. */
async function rss(server, gc = true) {
  if (gc) {
    const reply = nextMessage(server, 'rss', 30_000);
    server.send({ type: 'rss', gc });
    await reply.catch(() => {});
  }
  return procRss(server.pid);
}

export async function runOne(kind, connections, options = {}) {
  if (kind === 'chat-redis') return runNodes(connections, options);
  const server = fork(new URL('targets.mjs', here), [kind, String(rate)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let load;
  try {
    const { port } = await nextMessage(server, 'listening');
    const baseRss = await rss(server);
    load = fork(new URL('load.mjs', here), [`ws://127.0.0.1:${port}/ws`, String(connections)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const connected = await nextMessage(load, 'connected');
    const idleRss = await rss(server);
    const measuring = nextMessage(load, 'measuring');
    const result = nextMessage(load, 'result', warmupMs + measureMs + 60_000);
    load.send({ type: 'start', warmupMs, measureMs });
    await measuring;
    const cpuAtStart = cpuSeconds(server.pid);
    await new Promise((r) => setTimeout(r, measureMs / 2));
    const streamingRss = await rss(server, false);
    const r = await result;
    const cpuPercent = ((cpuSeconds(server.pid) - cpuAtStart) / (measureMs / 1000)) * 100;
    return {
      cpuPercent,
      open: connected.open,
      tokensPerSec: r.tokensPerSec,
      p50LatencyMs: r.p50LatencyMs,
      p99LatencyMs: r.p99LatencyMs,
      maxLatencyMs: r.maxLatencyMs,
      // Failed connects are counted there too (socket errors before the welcome).
      errors: r.errors + Math.max(0, connections - connected.open - connected.errors),
      errorKinds: r.errorKinds,
      idleBytesPerConnection: (idleRss - baseRss) / connections,
      rssBytesPerConnection: (streamingRss - baseRss) / connections,
      streamingRssBytes: streamingRss,
    };
  } finally {
    load?.kill('SIGKILL');
    server.kill('SIGKILL');
    await Promise.all([
      load && load.exitCode === null ? once(load, 'exit') : null,
      server.exitCode === null ? once(server, 'exit') : null,
    ]);
  }
}

/** Two chat nodes on one Redis, the load spread over both; RSS summed. */
async function runNodes(connections, { redisUrl, sample }) {
  const servers = [0, 1].map(() =>
    fork(new URL('targets.mjs', here), ['chat-redis', String(rate), redisUrl], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  let load;
  const totalRss = async (gc) =>
    (await Promise.all(servers.map((s) => rss(s, gc)))).reduce((a, b) => a + b, 0);
  try {
    const ports = (await Promise.all(servers.map((s) => nextMessage(s, 'listening')))).map((m) => m.port);
    const baseRss = await totalRss(true);
    const before = await sample();
    load = fork(
      new URL('load.mjs', here),
      [ports.map((p) => `ws://127.0.0.1:${p}/ws`).join(','), String(connections)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const connected = await nextMessage(load, 'connected');
    const idleRss = await totalRss(true);
    const measuring = nextMessage(load, 'measuring');
    const result = nextMessage(load, 'result', warmupMs + measureMs + 60_000);
    load.send({ type: 'start', warmupMs, measureMs });
    await measuring;
    await new Promise((r) => setTimeout(r, measureMs / 2));
    const streamingRss = await totalRss(false);
    const during = await sample();
    const r = await result;
    return {
      open: connected.open,
      tokensPerSec: r.tokensPerSec,
      p50LatencyMs: r.p50LatencyMs,
      p99LatencyMs: r.p99LatencyMs,
      maxLatencyMs: r.maxLatencyMs,
      errors: r.errors + Math.max(0, connections - connected.open - connected.errors),
      errorKinds: r.errorKinds,
      idleBytesPerConnection: (idleRss - baseRss) / connections,
      rssBytesPerConnection: (streamingRss - baseRss) / connections,
      streamingRssBytes: streamingRss,
      redis: { before, during },
    };
  } finally {
    load?.kill('SIGKILL');
    for (const s of servers) s.kill('SIGKILL');
    await Promise.all([
      load && load.exitCode === null ? once(load, 'exit') : null,
      ...servers.map((s) => (s.exitCode === null ? once(s, 'exit') : null)),
    ]);
  }
}

if (process.argv.includes('--redis')) {
  await runRedisLevels({ levels, rate, warmupMs, measureMs, runOne, fdLimit });
  process.exit(0);
}

const round = (n, digits = 1) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));
const results = [];
process.stdout.write(
  `server bench: ${levels.join(', ')} connections × ${rate} tokens/s, warm-up ${warmupMs} ms, measured ${measureMs} ms; ${cpus().length} CPUs; open-file limit ${fdLimit()}\n`,
);
const failures = [];
for (const connections of levels) {
  let chat;
  let baseline;
  try {
    process.stdout.write(`  ${connections} connections: chat server…\n`);
    chat = await runOne('chat', connections);
    process.stdout.write(`  ${connections} connections: baseline…\n`);
    baseline = await runOne('baseline', connections);
  } catch (error) {
    failures.push({ connections, error: String(error?.message ?? error), chat: chat ?? null });
    process.stdout.write(`  ${connections} connections FAILED: ${error?.message ?? error}\n`);
    continue;
  }
  const level = {
    connections,
    opened: chat.open,
    tokensPerConnectionPerSec: rate,
    offeredTokensPerSec: connections * rate,
    tokensPerSec: round(chat.tokensPerSec),
    baselineTokensPerSec: round(baseline.tokensPerSec),
    ratioVsBaseline: round(chat.tokensPerSec / baseline.tokensPerSec, 3),
    serverCpuPercent: round(chat.cpuPercent),
    baselineCpuPercent: round(baseline.cpuPercent),
    p50LatencyMs: round(chat.p50LatencyMs, 2),
    p99LatencyMs: round(chat.p99LatencyMs, 2),
    maxLatencyMs: round(chat.maxLatencyMs, 2),
    baselineP50LatencyMs: round(baseline.p50LatencyMs, 2),
    baselineP99LatencyMs: round(baseline.p99LatencyMs, 2),
    rssBytesPerConnection: Math.round(chat.rssBytesPerConnection),
    idleBytesPerConnection: Math.round(chat.idleBytesPerConnection),
    baselineRssBytesPerConnection: Math.round(baseline.rssBytesPerConnection),
    errors: chat.errors,
    errorKinds: chat.errorKinds,
    baselineErrors: baseline.errors,
  };
  results.push(level);
}

const out = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  memoryBytes: totalmem(),
  openFileLimit: fdLimit(),
  source:
    'clock source on the mock source schedule (one sleep per token, start + i/rate), in the real chat server from dist/',
  baseline: 'raw ws server, one timer per connection, pre-built delta frames with the same clock text',
  warmupMs,
  measureMs,
  levels: results,
  failures,
};
writeFileSync(new URL('../results/server.json', here), `${JSON.stringify(out, null, 2)}\n`);

const header = [
  'conns',
  'offered/s',
  'chat tok/s',
  'base tok/s',
  'ratio',
  'p50 ms',
  'p99 ms',
  'base p99',
  'cpu %',
  'base cpu %',
  'B/conn stream',
  'B/conn idle',
  'errors',
];
const rows = results.map((l) => [
  l.connections,
  l.offeredTokensPerSec,
  l.tokensPerSec,
  l.baselineTokensPerSec,
  l.ratioVsBaseline,
  l.p50LatencyMs,
  l.p99LatencyMs,
  l.baselineP99LatencyMs,
  l.serverCpuPercent,
  l.baselineCpuPercent,
  l.rssBytesPerConnection,
  l.idleBytesPerConnection,
  l.errors,
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n\nwrote bench/results/server.json\n`);
