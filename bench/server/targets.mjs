/**
 * A server under load, run as a child process with IPC by run.mjs:
 *   node targets.mjs chat <tokensPerSecond>      the real chat server (built, from dist/)
 *   node targets.mjs baseline <tokensPerSecond>  a raw ws server sending pre-built frames
 *   node targets.mjs chat-redis <tokensPerSecond> <redisUrl>  the chat server on the Redis store
 * Both stream `delta` frames whose text is the time the token was produced
 * (epoch ms), one every 1000/rate ms per conversation, each on its own timer
 * the way the mock source schedules its tokens. Replies to {type:'rss'} with
 * the resident memory (after a GC when asked).
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { startDevServer } from '../../dist/node/dev-server/dev-server.js';

const [kind, rateArg, redisUrl] = process.argv.slice(2);
const rate = Number(rateArg);
const intervalMs = 1000 / rate;
const now = () => performance.timeOrigin + performance.now();

/** The mock source's schedule (start + i * interval, sleeping in between), with a clock in each token. */
const clockSource = {
  async *generate({ signal }) {
    const startedAt = performance.now();
    for (let i = 1; i <= 100_000; i++) {
      const dueIn = startedAt + i * intervalMs - performance.now();
      if (dueIn >= 1) await sleep(dueIn, undefined, { signal });
      if (signal.aborted) break;
      yield `${now().toFixed(3)} `;
    }
    return { finishReason: 'stop', usage: null };
  },
};

async function startChat() {
  const server = await startDevServer({
    port: 0,
    source: clockSource,
    // Every load connection comes from 127.0.0.1: lift the per-IP cap (default 100) for the bench.
    maxConnectionsPerIp: 1_000_000,
    maxConnections: 1_000_000,
    maxNewConversationsPerIp: 1_000_000,
    ...(process.env.BENCH_DEFLATE === '1' ? { perMessageDeflate: true } : {}),
    // BENCH_DELTA_WINDOW_MS=0: a delta per token, as before the window existed.
    ...(process.env.BENCH_DELTA_WINDOW_MS
      ? { deltaWindowMs: Number(process.env.BENCH_DELTA_WINDOW_MS) }
      : {}),
    ...(redisUrl ? { redis: redisUrl } : {}),
  });
  return Number(new URL(server.url).port);
}

async function startBaseline() {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    let seq = 0;
    let timer;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'hello') {
        socket.send(
          '{"type":"welcome","v":1,"sessionId":"s_1","conversationId":"c_1","heartbeatMs":15000,"limits":{"maxTextLength":8000,"maxFrameBytes":65536},"history":[],"active":[]}',
        );
      } else if (frame.type === 'send' && !timer) {
        const head = '{"type":"delta","messageId":"m_1","seq":';
        const startedAt = performance.now();
        const tick = () => {
          seq++;
          socket.send(`${head}${seq},"text":"${now().toFixed(3)} "}`);
          timer = setTimeout(tick, Math.max(0, startedAt + (seq + 1) * intervalMs - performance.now()));
        };
        timer = setTimeout(tick, intervalMs);
      }
    });
    socket.on('close', () => clearTimeout(timer));
    socket.on('error', () => socket.terminate());
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return http.address().port;
}

const port = kind === 'baseline' ? await startBaseline() : await startChat();
process.on('message', (message) => {
  if (message?.type === 'rss') {
    // A GC pause would show up in the latencies, so only quiet samples collect first.
    if (message.gc) globalThis.gc?.();
    process.send({ type: 'rss', rss: process.memoryUsage.rss() });
  }
});
process.send({ type: 'listening', port });
