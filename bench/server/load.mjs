/**
 * The load generator, a child process of run.mjs:
 *   node load.mjs <wsUrl[,wsUrl…]> <connections>   (several URLs: connections spread round-robin)
 * Opens the connections (in batches), says hello on each and waits for every
 * welcome, reports {type:'connected'}, then on {type:'start', warmupMs,
 * measureMs} sends one question on each and measures, over the measuring
 * window, the tokens received and each token's lateness: its arrival here
 * against the time in its text (when its stream's schedule said it was due),
 * and whether lateness grows over the window (a server falling behind).
 */
import WebSocket from 'ws';

const [urlArg, countArg] = process.argv.slice(2);
/** Ask for compact deltas, as the widget does (BENCH_COMPACT=0: a version-1 client). */
const compact = process.env.BENCH_COMPACT !== '0';
/** BENCH_DEFLATE=1: the clients offer permessage-deflate (the chat server accepts it then). */
const deflate = process.env.BENCH_DEFLATE === '1';
const urls = urlArg.split(',');
let opened = 0;
const count = Number(countArg);
const now = () => performance.timeOrigin + performance.now();

const sockets = [];
let errors = 0;
let measuring = false;
let received = 0;
const latencies = [];
/** When each latency was taken (ms into the measuring window), for the growth check. */
const takenAt = [];
let measuringSince = 0;
const errorKinds = {};
const fail = (kind) => {
  errors++;
  errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
};

function open() {
  return new Promise((resolve) => {
    const socket = new WebSocket(urls[opened++ % urls.length], { perMessageDeflate: deflate });
    let lastSeq = 0;
    let welcomed = false;
    socket.on('open', () =>
      socket.send(compact ? '{"type":"hello","v":1,"compact":true}' : '{"type":"hello","v":1}'),
    );
    socket.on('message', (data) => {
      const parsed = JSON.parse(String(data));
      // A compact delta may be the text alone, as a JSON string.
      const frame = typeof parsed === 'string' ? { d: parsed } : parsed;
      if (frame.type === 'welcome') {
        welcomed = true;
        resolve(socket);
      } else if (frame.type === 'delta' || typeof frame.d === 'string') {
        // A full delta may cover fromSeq..seq (merged for a slow reader); a compact one continues the last (n deltas).
        const from = frame.d === undefined ? (frame.fromSeq ?? frame.seq) : lastSeq + 1;
        const seq = frame.d === undefined ? frame.seq : lastSeq + (frame.n ?? 1);
        if (from !== lastSeq + 1) fail('seq-gap');
        lastSeq = seq;
        if (measuring) {
          // One delta may carry several tokens (the server's delta window): each has its own clock.
          for (const stamp of (frame.d ?? frame.text).trim().split(' ')) {
            received++;
            const at = now();
            latencies.push(at - Number.parseFloat(stamp));
            takenAt.push(at - measuringSince);
          }
        }
      } else if (frame.type === 'error') {
        fail(`error-frame:${frame.code}`);
      }
    });
    socket.on('error', () => {
      fail('socket-error');
      if (!welcomed) resolve(undefined);
    });
    socket.on('close', () => {
      if (measuring) fail('closed');
      if (!welcomed) resolve(undefined);
    });
  });
}

for (let i = 0; i < count; i += 250) {
  const batch = await Promise.all(Array.from({ length: Math.min(250, count - i) }, open));
  for (const s of batch) if (s) sockets.push(s);
}
process.send({ type: 'connected', open: sockets.length, errors });

process.on('message', async (message) => {
  if (message?.type !== 'start') return;
  sockets.forEach((s, i) => {
    s.send(JSON.stringify({ type: 'send', clientMsgId: `q${i}`, text: 'stream please' }));
  });
  await new Promise((r) => setTimeout(r, message.warmupMs));
  const startedAt = performance.now();
  measuringSince = now();
  measuring = true;
  process.send({ type: 'measuring' });
  await new Promise((r) => setTimeout(r, message.measureMs));
  measuring = false;
  const seconds = (performance.now() - startedAt) / 1000;
  // Growth: the median lateness of the window's last quarter against its first.
  const quarterMs = message.measureMs / 4;
  const firstQuarter = latencies.filter((_, i) => takenAt[i] < quarterMs);
  const lastQuarter = latencies.filter((_, i) => takenAt[i] >= 3 * quarterMs);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? null;
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
  process.send({
    type: 'result',
    open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
    tokensPerSec: received / seconds,
    p50LatencyMs: pick(0.5),
    p99LatencyMs: pick(0.99),
    maxLatencyMs: latencies.at(-1) ?? null,
    firstQuarterP50Ms: median(firstQuarter),
    lastQuarterP50Ms: median(lastQuarter),
    errors,
    errorKinds,
  });
  for (const s of sockets) s.terminate();
  setTimeout(() => process.exit(0), 100);
});
