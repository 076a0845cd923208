/**
 * A server under load, run as a child process with IPC by run.mjs:
 *   node targets.mjs chat <tokensPerSecond>      the real chat server (built, from dist/)
 *   node targets.mjs baseline <tokensPerSecond>  a raw ws server sending pre-built frames
 *   node targets.mjs chat-redis <tokensPerSecond> <redisUrl>  the chat server on the Redis store
 * Both stream one token every 1000/rate ms per conversation (both on one 5 ms
 * timer tick for all streams: the chat server on its mock source's pacer), whose text is the
 * time the schedule says it is due (epoch ms, start + seq / rate); at a tick,
 * a stream's tokens due by then go out together (one frame, one delta), so what the
 * load generator measures is schedule lateness: a server that falls behind
 * shows it, however it batches. Replies to {type:'rss'} with the resident
 * memory (after a GC when asked).
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { startDevServer } from '../../dist/node/dev-server/dev-server.js';
import { Pacer } from '../../dist/node/dev-server/sources/pacer.js';

const [kind, rateArg, redisUrl] = process.argv.slice(2);
const rate = Number(rateArg);
const intervalMs = 1000 / rate;
const now = () => performance.timeOrigin + performance.now();

/** The texts of tokens `from`..`to` of a stream started at `startedEpoch`: each its due time, space-ended. */
function dueTimes(startedEpoch, from, to) {
  let text = '';
  for (let seq = from; seq <= to; seq++) text += `${(startedEpoch + seq * intervalMs).toFixed(3)} `;
  return text;
}

/**
 * The mock source's schedule (start + seq * interval) on the mock source's
 * pacer (one timer for every stream, 5 ms ticks); each token's text is its
 * due time. A push source, as the mock is: the pacer's tick hands a stream's
 * chunk to the server directly. At each tick a stream's tokens due by then
 * leave as one chunk, as the baseline joins them into one frame (the protocol
 * lets a delta carry several tokens), and the source always waits for a tick,
 * even when behind: a source that pushed overdue tokens without waiting would
 * hold the process in one stream's loop, and the server's timers and I/O (its
 * Redis writes, a closed socket's close event) would wait until every stream
 * caught up.
 */
const pacer = new Pacer();
const TOKENS_PER_ANSWER = 100_000;
const clockSource = {
  stream({ signal }, emit) {
    const startedAt = performance.now();
    const startedEpoch = now();
    let sent = 0;
    const paced = pacer.paced(signal, tick);
    // A due time already past runs at the pacer's next tick.
    const wait = () => paced.until(startedAt + (sent + 1) * intervalMs);
    function tick() {
      const due = Math.min(
        TOKENS_PER_ANSWER,
        Math.max(sent + 1, Math.floor((performance.now() - startedAt) / intervalMs)),
      );
      const text = dueTimes(startedEpoch, sent + 1, due);
      sent = due;
      emit(text); // may cancel: then `wait` does nothing
      if (sent < TOKENS_PER_ANSWER) wait();
      else paced.finish();
    }
    wait();
    return paced.done.then(() => ({ finishReason: 'stop', usage: null }));
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

/**
 * The floor a chat server is held to: a raw ws server with nothing but the
 * schedule. One 5 ms timer tick serves every stream; each tick sends a
 * stream's due tokens as one pre-built delta frame (the tokens due in one tick
 * joined, as the protocol allows), and skips a socket whose send buffer is
 * full (its tokens go in a later tick's frame).
 */
async function startBaseline() {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
  const WELCOME =
    '{"type":"welcome","v":1,"sessionId":"s_1","conversationId":"c_1","heartbeatMs":15000,"limits":{"maxTextLength":8000,"maxFrameBytes":65536},"history":[],"active":[]}';
  const HEAD = '{"type":"delta","messageId":"m_1","seq":';
  const FULL_BUFFER = 64 * 1024;
  /** socket → { startedAt, startedEpoch, sent } */
  const streams = new Map();
  setInterval(() => {
    const at = performance.now();
    for (const [socket, stream] of streams) {
      const due = Math.floor((at - stream.startedAt) / intervalMs);
      if (due <= stream.sent || socket.bufferedAmount > FULL_BUFFER) continue;
      const from = stream.sent + 1;
      const text = dueTimes(stream.startedEpoch, from, due);
      stream.sent = due;
      socket.send(
        from === due
          ? `${HEAD}${due},"text":"${text}"}`
          : `${HEAD}${due},"fromSeq":${from},"text":"${text}"}`,
      );
    }
  }, 5);
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'hello') socket.send(WELCOME);
      else if (frame.type === 'send' && !streams.has(socket))
        streams.set(socket, { startedAt: performance.now(), startedEpoch: now(), sent: 0 });
    });
    socket.on('close', () => streams.delete(socket));
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
