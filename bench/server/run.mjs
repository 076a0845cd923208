/**
 * npm run bench:server — the chat server against a raw ws baseline, under the
 * same load, in one run. For each level (connections × tokens/s each), a fresh
 * target server and a load generator start as separate processes on
 * 127.0.0.1, pinned to different cores when there are two (taskset; BENCH_PIN=0
 * turns it off); after a warm-up the load generator measures delivered
 * tokens/s and schedule lateness (each token's arrival against the time its
 * stream's schedule said it was due: p50, p99, and whether it grows over the
 * window), and this script samples the server's CPU (per token delivered) and
 * RSS with the connections idle (welcomed, nothing streaming) and while
 * streaming. Writes bench/results/server.json and prints a table.
 *
 * With --capacity, it finds instead the most streams each server holds:
 * levels from BENCH_CAPACITY_LEVELS (default 250,500,1000,1500,2000,2500,3000,
 * 4000,5000) in turn, both servers at each level one right after the other
 * (which goes first alternates), each until its lateness p99 reaches 100 ms,
 * grows, or a token or connection is lost; the last level held is the
 * server's capacity. Adds
 * `capacity` to bench/results/server.json, keeping the rest.
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
import { fork, spawnSync } from 'node:child_process';
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

const pinning =
  process.env.BENCH_PIN !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
/** Pins every thread of `pid` to one core, so server and load generator do not take each other's. */
function pin(pid, core) {
  if (pinning) spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/** Lateness that keeps growing: the last quarter's median this much above the first quarter's. */
const GROWING_MS = 20;
/** What a server must keep to hold a level: every stream on schedule within this p99. */
const LATENESS_BOUND_MS = 100;

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

/** The load generator's growth figures, and whether lateness grew over the window. */
function lateness(r) {
  const growthMs =
    r.firstQuarterP50Ms === null || r.lastQuarterP50Ms === null
      ? null
      : r.lastQuarterP50Ms - r.firstQuarterP50Ms;
  return { latenessGrowthMs: growthMs, latenessGrowing: growthMs === null || growthMs > GROWING_MS };
}

/** Whether a server held `connections` streams: lateness p99 within the bound and not growing, nothing lost. */
function held(result, connections) {
  return (
    result.open === connections &&
    result.errors === 0 &&
    result.p99LatencyMs !== null &&
    result.p99LatencyMs < LATENESS_BOUND_MS &&
    !result.latenessGrowing &&
    result.tokensPerSec >= 0.99 * connections * rate
  );
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
    pin(server.pid, 0);
    const baseRss = await rss(server);
    load = fork(new URL('load.mjs', here), [`ws://127.0.0.1:${port}/ws`, String(connections)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    pin(load.pid, 1);
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
    const cpuUsed = cpuSeconds(server.pid) - cpuAtStart;
    const cpuPercent = (cpuUsed / (measureMs / 1000)) * 100;
    return {
      cpuPercent,
      cpuMicrosPerToken: r.tokensPerSec > 0 ? (cpuUsed * 1e6) / (r.tokensPerSec * (measureMs / 1000)) : null,
      ...lateness(r),
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

/**
 * Two chat nodes on one Redis, the load spread over both; RSS summed. The
 * nodes and Redis share core 0 (the in-memory server's core), the load
 * generator has core 1; the nodes' and Redis's CPU and Redis's commands are
 * read over the measuring window.
 */
async function runNodes(connections, { redisUrl, redisPid, sample, stats }) {
  const servers = [0, 1].map(() =>
    fork(new URL('targets.mjs', here), ['chat-redis', String(rate), redisUrl], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  let load;
  const totalRss = async (gc) =>
    (await Promise.all(servers.map((s) => rss(s, gc)))).reduce((a, b) => a + b, 0);
  const nodesCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
  try {
    const ports = (await Promise.all(servers.map((s) => nextMessage(s, 'listening')))).map((m) => m.port);
    for (const s of servers) pin(s.pid, 0);
    if (redisPid) pin(redisPid, 0);
    const baseRss = await totalRss(true);
    const before = await sample();
    load = fork(
      new URL('load.mjs', here),
      [ports.map((p) => `ws://127.0.0.1:${p}/ws`).join(','), String(connections)],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    pin(load.pid, 1);
    const connected = await nextMessage(load, 'connected');
    const idleRss = await totalRss(true);
    const measuring = nextMessage(load, 'measuring');
    const result = nextMessage(load, 'result', warmupMs + measureMs + 60_000);
    load.send({ type: 'start', warmupMs, measureMs });
    await measuring;
    const cpuAtStart = nodesCpu();
    const statsAtStart = await stats();
    await new Promise((r) => setTimeout(r, measureMs / 2));
    const streamingRss = await totalRss(false);
    const during = await sample();
    const r = await result;
    const nodeCpuSeconds = nodesCpu() - cpuAtStart;
    const statsAtEnd = await stats();
    const seconds = measureMs / 1000;
    const commands = {};
    for (const [name, calls] of Object.entries(statsAtEnd.calls)) {
      const per = (calls - (statsAtStart.calls[name] ?? 0)) / seconds;
      if (per > 0) commands[name] = per;
    }
    return {
      open: connected.open,
      tokensPerSec: r.tokensPerSec,
      p50LatencyMs: r.p50LatencyMs,
      p99LatencyMs: r.p99LatencyMs,
      maxLatencyMs: r.maxLatencyMs,
      ...lateness(r),
      errors: r.errors + Math.max(0, connections - connected.open - connected.errors),
      errorKinds: r.errorKinds,
      idleBytesPerConnection: (idleRss - baseRss) / connections,
      rssBytesPerConnection: (streamingRss - baseRss) / connections,
      streamingRssBytes: streamingRss,
      nodeCpuPercent: (nodeCpuSeconds / seconds) * 100,
      redisCpuPercent: ((statsAtEnd.cpuSeconds - statsAtStart.cpuSeconds) / seconds) * 100,
      redisCommandsPerSec: Object.values(commands).reduce((a, b) => a + b, 0),
      redisCommands: commands,
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
  await runRedisLevels({ levels, rate, warmupMs, measureMs, runOne, fdLimit, held, pinned: pinning });
  process.exit(0);
}

const round = (n, digits = 1) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));

if (process.argv.includes('--capacity')) {
  const steps = (process.env.BENCH_CAPACITY_LEVELS ?? '250,500,1000,1500,2000,2500,3000,4000,5000')
    .split(',')
    .map(Number);
  process.stdout.write(
    `server capacity at ${rate} tokens/s per stream: lateness p99 < ${LATENESS_BOUND_MS} ms, not growing, nothing lost; ${pinning ? 'server on core 0, load on core 1' : 'not pinned'}\n`,
  );
  const capacity = {
    rate,
    latenessBoundMs: LATENESS_BOUND_MS,
    growingMs: GROWING_MS,
    pinned: pinning,
    servers: {},
  };
  // Both servers at each level, one right after the other (which goes first alternates), so a
  // host that turns busy for a while weighs on both alike; a server leaves at its first level not held.
  const inPlay = new Set(['baseline', 'chat']);
  for (const kind of inPlay) capacity.servers[kind] = { streams: 0, tried: [] };
  for (const [index, connections] of steps.entries()) {
    const order = index % 2 === 0 ? ['baseline', 'chat'] : ['chat', 'baseline'];
    for (const kind of order.filter((k) => inPlay.has(k))) {
      const r = await runOne(kind, connections);
      const ok = held(r, connections);
      capacity.servers[kind].tried.push({
        connections,
        held: ok,
        tokensPerSec: round(r.tokensPerSec),
        p50LatenessMs: round(r.p50LatencyMs, 2),
        p99LatenessMs: round(r.p99LatencyMs, 2),
        latenessGrowthMs: round(r.latenessGrowthMs, 1),
        cpuPercent: round(r.cpuPercent),
        cpuMicrosPerToken: round(r.cpuMicrosPerToken),
        rssBytesPerConnection: Math.round(r.rssBytesPerConnection),
        errors: r.errors,
      });
      process.stdout.write(
        `  ${kind.padEnd(8)} ${String(connections).padStart(5)} streams: ${ok ? 'held' : 'NOT held'} (lateness p99 ${round(r.p99LatencyMs, 1)} ms, growth ${round(r.latenessGrowthMs, 1)} ms, ${round(r.tokensPerSec)} tok/s, CPU ${round(r.cpuPercent)} %, ${round(r.cpuMicrosPerToken)} µs/token, ${Math.round(r.rssBytesPerConnection / 1024)} KB/conn)\n`,
      );
      if (ok) capacity.servers[kind].streams = connections;
      else inPlay.delete(kind);
    }
    if (inPlay.size === 0) break;
  }
  const file = new URL('../results/server.json', here);
  let existing = {};
  try {
    existing = JSON.parse(readFileSync(file, 'utf8'));
  } catch {}
  writeFileSync(
    file,
    `${JSON.stringify({ ...existing, capacity: { date: new Date().toISOString(), ...capacity } }, null, 2)}\n`,
  );
  process.stdout.write(
    `\ncapacity: baseline ${capacity.servers.baseline.streams} streams, chat server ${capacity.servers.chat.streams} streams\nwrote bench/results/server.json\n`,
  );
  process.exit(0);
}

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
    latenessGrowthMs: round(chat.latenessGrowthMs, 1),
    latenessGrowing: chat.latenessGrowing,
    baselineLatenessGrowthMs: round(baseline.latenessGrowthMs, 1),
    cpuMicrosPerToken: round(chat.cpuMicrosPerToken),
    baselineCpuMicrosPerToken: round(baseline.cpuMicrosPerToken),
    held: held(chat, connections),
    baselineHeld: held(baseline, connections),
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
    "push clock source on the mock source's schedule and pacer (start + i/rate, one 5 ms timer tick for every stream, the tick hands a stream's chunk to the server, a stream's tokens due in one tick joined in one chunk, never pushing without waiting for a tick; each token is its due time), in the real chat server from dist/",
  baseline:
    "raw ws server, one 5 ms timer tick for every stream, pre-built delta frames (a stream's tokens due in one tick joined), writes skipped while a socket's buffer is over 64 KiB",
  latency: 'schedule lateness: arrival against the due time of each token',
  pinned: pinning,
  warmupMs,
  measureMs,
  levels: results,
  failures,
};
// Keeps what --capacity and --redis added (as they keep these levels), so the three runs go in any order.
let previous = {};
try {
  previous = JSON.parse(readFileSync(new URL('../results/server.json', here), 'utf8'));
} catch {}
out.levels = [...results, ...(previous.levels ?? []).filter((l) => l.store === 'redis')];
if (previous.redis) out.redis = previous.redis;
if (previous.capacity) out.capacity = previous.capacity;
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
  'grows ms',
  'held',
  'base held',
  'cpu %',
  'base cpu %',
  'µs/tok',
  'base µs/tok',
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
  l.latenessGrowthMs,
  l.held ? 'yes' : 'NO',
  l.baselineHeld ? 'yes' : 'NO',
  l.serverCpuPercent,
  l.baselineCpuPercent,
  l.cpuMicrosPerToken,
  l.baselineCpuMicrosPerToken,
  l.rssBytesPerConnection,
  l.idleBytesPerConnection,
  l.errors,
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n\nwrote bench/results/server.json\n`);
