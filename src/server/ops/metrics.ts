import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { requestPath } from '../http/request-url.js';
import { type PassEnd, passChunks } from '../sources/chunk-pass.js';
import { chunkLength } from '../sources/source-parts.js';
import type { ChatSource, PushTokenSource } from '../sources/types.js';
import type { StoreHealth } from '../store/conversation-store.js';
import { HotHistogram } from './hot-histogram.js';
import type { ChatLogger } from './logger.js';
import { silentLogger } from './logger.js';

type Labels = Record<string, string>;

/**
 * A prom-client counter the server (and its tests) can also read synchronously.
 * prom-client 15 offers only an async `get()` (it keeps the values in an
 * undocumented field), so this keeps a small mirror: one number per label set,
 * updated after prom-client has accepted the increment.
 */
export class ChatCounter {
  private readonly counter: Counter;
  private readonly values = new Map<string, number>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly string[] = [],
  ) {
    this.counter = new Counter({ name, help, labelNames, registers: [registry] });
  }

  inc(labels: Labels = {}, by = 1): void {
    // First, so that labels or amounts prom-client refuses never reach the mirror.
    this.counter.inc(labels, by);
    const key = this.key(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(this.key(labels)) ?? 0;
  }

  private key(labels: Labels): string {
    // Unlabelled counters (most of them, and tokens on every chunk) skip the encoding.
    if (this.labelNames.length === 0) return '';
    return JSON.stringify(this.labelNames.map((name) => labels[name] ?? null));
  }
}

function histogram(registry: Registry, name: string, help: string, buckets: number[]): Histogram {
  return new Histogram({ name, help, buckets, registers: [registry] });
}

let processRegistry: Registry | undefined;

/**
 * Node's default metrics (memory, CPU, event-loop lag, GC, handles), made once
 * per process and shared by every chat server in it: they describe the process,
 * and each collectDefaultMetrics() call starts an event-loop delay monitor and
 * a GC observer that cannot be stopped, so one per server would pile up.
 * Neither keeps the process alive (the monitor's timer is unref'd, the observer
 * holds no handle). With several servers in one process, the event-loop lag
 * min/max/percentiles cover the time since any of them was last scraped.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The chat server's metrics on a registry of its own (several servers can share
 * a process), rendered by prom-client in the Prometheus text format (0.0.4).
 * Rates such as tokens per second come from the counters with PromQL's rate().
 */
export class ChatMetrics {
  private readonly own = new Registry();

  readonly connectionsAccepted = new ChatCounter(
    this.own,
    'ai_chat_connections_accepted_total',
    'WebSocket connections opened.',
  );
  readonly upgradesRefused = new ChatCounter(
    this.own,
    'ai_chat_upgrades_refused_total',
    'WebSocket upgrades refused before a socket was created, by HTTP status.',
    ['status'],
  );
  readonly closes = new ChatCounter(
    this.own,
    'ai_chat_closes_total',
    'WebSocket connections closed, by close code.',
    ['code'],
  );
  readonly rateLimited = new ChatCounter(
    this.own,
    'ai_chat_rate_limited_frames_total',
    'Inbound frames dropped by the rate limit.',
  );
  readonly tokens = new ChatCounter(
    this.own,
    'ai_chat_tokens_total',
    'Text chunks produced by the token source.',
  );
  readonly generations = new ChatCounter(
    this.own,
    'ai_chat_generations_total',
    'Generations ended, by outcome (stop, length, cancelled, error, interrupted).',
    ['outcome'],
  );
  readonly deltasCoalesced = new ChatCounter(
    this.own,
    'ai_chat_deltas_coalesced_total',
    'Deltas merged into a larger delta for a client that read too slowly.',
  );
  readonly slowConsumers = new ChatCounter(
    this.own,
    'ai_chat_slow_consumers_total',
    'Connections closed with 4008 because the client read too slowly for too long.',
  );
  readonly missedHeartbeats = new ChatCounter(
    this.own,
    'ai_chat_missed_heartbeats_total',
    'Connections closed with 4008 because they did not answer a WebSocket ping within a heartbeat.',
  );
  readonly errorFrames = new ChatCounter(
    this.own,
    'ai_chat_error_frames_total',
    'Error frames sent to clients, by code.',
    ['code'],
  );
  readonly resumes = new ChatCounter(
    this.own,
    'ai_chat_resumes_total',
    'Answers resumed after a reconnect, by how: deltas (exact replay), snapshot, or unknown (not found).',
    ['result'],
  );

  /** Hosted models answer in 0.2–2 s; long prompts, queues and reasoning models take tens of seconds. */
  readonly timeToFirstToken = histogram(
    this.own,
    'ai_chat_time_to_first_token_seconds',
    'Seconds from the start of a generation to its first chunk.',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  /** 20–100 chunks/s is 10–50 ms apart; the upper buckets catch stalls. */
  readonly tokenLatency = new HotHistogram(
    this.own,
    'ai_chat_token_latency_seconds',
    'Seconds between consecutive chunks of one answer.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  /** From one-line answers to the usual output limits (a few thousand tokens). */
  readonly answerChunks = histogram(
    this.own,
    'ai_chat_answer_chunks',
    'Chunks per answer, whatever its outcome.',
    [1, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  );
  /** The chunk buckets at about four characters a token. */
  readonly answerCharacters = histogram(
    this.own,
    'ai_chat_answer_characters',
    'Characters (UTF-16 code units) per answer, whatever its outcome.',
    [10, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000],
  );

  /** Answers being generated (set by the chat server, which counts them for its drain too). */
  activeStreams: () => number = () => 0;
  /** Sum of the bytes held for open connections (set by the chat server). */
  outboundBytes: () => number = () => 0;
  /** Open WebSocket connections (set by createOpsEndpoint). */
  connections: () => number = () => 0;

  /** This server's metrics followed by the process's; what `/metrics` renders. */
  readonly registry: Registry;

  constructor() {
    // Read at scrape time, so the server keeps plain numbers and functions.
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.own],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('ai_chat_connections', 'Open WebSocket connections.', () => this.connections());
    gauge('ai_chat_active_streams', 'Answers being generated.', () => this.activeStreams());
    gauge(
      'ai_chat_outbound_bytes',
      'Bytes waiting to reach clients: socket send buffers plus coalesced frames held back.',
      () => this.outboundBytes(),
    );
    this.registry = Registry.merge([this.own, processMetrics()]);
  }

  /** Wraps a token source so its tokens, timing and failures are counted. */
  meter(
    source: ChatSource,
    logger: ChatLogger = silentLogger,
    /** Told when each generation starts and ends (the chat server counts them for its drain). */
    lifecycle?: { started(): void; ended(): void },
  ): PushTokenSource {
    const metrics = this;
    const stopped = (signal: AbortSignal): string =>
      signal.reason === 'interrupted' ? 'interrupted' : 'cancelled';
    return passChunks(source, ({ signal }) => {
      lifecycle?.started();
      // Monotonic: a wall-clock step must not make a latency negative.
      const started = performance.now();
      let previous = started;
      let chunks = 0;
      let characters = 0;
      return {
        chunk(chunk) {
          // Timed as chunks arrive from the source (a pulled source is read once the previous
          // chunk was handled, so its gap includes that), never the client's reading.
          const now = performance.now();
          if (chunks === 0) metrics.timeToFirstToken.observe((now - started) / 1000);
          else metrics.tokenLatency.observe((now - previous) / 1000);
          previous = now;
          metrics.tokens.inc();
          chunks++;
          characters += chunkLength(chunk);
          return chunk;
        },
        end(end: PassEnd): void {
          let outcome: string;
          if (signal.aborted) outcome = stopped(signal);
          else outcome = end.how === 'done' ? end.result.finishReason : 'error';
          lifecycle?.ended();
          metrics.generations.inc({ outcome });
          metrics.answerChunks.observe(chunks);
          metrics.answerCharacters.observe(characters);
          const durationMs = Math.round(performance.now() - started);
          const fields = { event: 'generation_end', outcome, chunks, durationMs };
          // The failure is the source's own message (e.g. the upstream's HTTP error), never answer text.
          if (end.how === 'failed' && outcome === 'error') {
            const error = end.error instanceof Error ? end.error.message : String(end.error);
            logger.error({ ...fields, error }, 'generation failed');
          } else logger.info(fields, 'generation ended');
        },
      };
    });
  }
}

/** GET /healthz and GET /metrics; returns false for other paths. */
export function createOpsEndpoint(
  metrics: ChatMetrics,
  connections: () => number,
  store: () => StoreHealth,
  paths: { health: string; metrics: string },
  draining: () => boolean = () => false,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  metrics.connections = connections;
  return (request, response) => {
    const pathname = requestPath(request);
    if (pathname !== paths.health && pathname !== paths.metrics) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const answer = (status: number, contentType: string, body: string): void => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (pathname === paths.metrics) {
      metrics.registry
        .metrics()
        .then(
          (text) => answer(200, metrics.registry.contentType, text),
          // A failing collect() (e.g. a gauge's reader threw) costs this scrape, never the process.
          () => answer(500, 'text/plain; charset=utf-8', 'Metrics unavailable\n'),
        )
        .catch(() => response.destroy());
      return true;
    }
    const health = store();
    const body = `${JSON.stringify({
      status: draining() ? 'draining' : health.ok ? 'ok' : 'degraded',
      connections: connections(),
      activeStreams: metrics.activeStreams(),
      store: health,
    })}\n`;
    // A draining node, or one that cannot reach its store, answers 503, so a load balancer stops sending it clients.
    answer(draining() || !health.ok ? 503 : 200, 'application/json; charset=utf-8', body);
    return true;
  };
}
