import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestPath } from '../http/request-url.js';
import type { GenerateRequest, GenerateResult, TokenSource } from '../sources/types.js';
import type { StoreHealth } from '../store/conversation-store.js';
import type { ChatLogger } from './logger.js';
import { silentLogger } from './logger.js';

type Labels = Record<string, string>;

/** A counter with optional labels, kept as plain numbers. */
class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const quote = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${entries.map(([k, v]) => `${k}="${quote(v)}"`).join(',')}}`;
}

function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}`;
}

/**
 * The chat server's counters, rendered in the Prometheus text format
 * (version 0.0.4). Rates such as tokens per second come from the counters
 * with PromQL's rate().
 */
export class ChatMetrics {
  readonly connectionsAccepted = new Counter(
    'ai_chat_connections_accepted_total',
    'WebSocket connections opened.',
  );
  readonly upgradesRefused = new Counter(
    'ai_chat_upgrades_refused_total',
    'WebSocket upgrades refused before a socket was created, by HTTP status.',
  );
  readonly closes = new Counter('ai_chat_closes_total', 'WebSocket connections closed, by close code.');
  readonly rateLimited = new Counter(
    'ai_chat_rate_limited_frames_total',
    'Inbound frames dropped by the rate limit.',
  );
  readonly tokens = new Counter('ai_chat_tokens_total', 'Text chunks produced by the token source.');
  readonly generations = new Counter(
    'ai_chat_generations_total',
    'Generations ended, by outcome (stop, length, cancelled, error, interrupted).',
  );
  readonly deltasCoalesced = new Counter(
    'ai_chat_deltas_coalesced_total',
    'Deltas merged into a larger delta for a client that read too slowly.',
  );
  readonly errorFrames = new Counter('ai_chat_error_frames_total', 'Error frames sent to clients, by code.');
  readonly resumes = new Counter(
    'ai_chat_resumes_total',
    'Answers resumed after a reconnect, by how: deltas (exact replay), snapshot, or unknown (not found).',
  );
  readonly slowConsumers = new Counter(
    'ai_chat_slow_consumers_total',
    'Connections closed with 4008 because the client read too slowly for too long.',
  );
  activeStreams = 0;
  /** Sum of the bytes held for open connections (set by the chat server). */
  outboundBytes: () => number = () => 0;

  /** Wraps a token source so its tokens, active streams and failures are counted. */
  meter(source: TokenSource, logger: ChatLogger = silentLogger): TokenSource {
    const metrics = this;
    const stopped = (signal: AbortSignal): string =>
      signal.reason === 'interrupted' ? 'interrupted' : 'cancelled';
    return {
      async *generate(request: GenerateRequest): AsyncGenerator<string, GenerateResult, void> {
        metrics.activeStreams++;
        const started = Date.now();
        let chunks = 0;
        let outcome = 'cancelled';
        let failure: string | undefined;
        try {
          const inner = source.generate(request);
          try {
            for (;;) {
              const next = await inner.next();
              if (next.done) {
                outcome = request.signal.aborted ? stopped(request.signal) : next.value.finishReason;
                return next.value;
              }
              metrics.tokens.inc();
              chunks++;
              yield next.value;
            }
          } finally {
            // Passes an early stop (cancel) on to the wrapped source.
            await inner.return({ finishReason: 'stop', usage: null }).catch(() => {});
          }
        } catch (error) {
          outcome = request.signal.aborted ? stopped(request.signal) : 'error';
          failure = error instanceof Error ? error.message : String(error);
          throw error;
        } finally {
          metrics.activeStreams--;
          metrics.generations.inc({ outcome });
          const fields = { event: 'generation_end', outcome, chunks, durationMs: Date.now() - started };
          // The failure is the source's own message (e.g. the upstream's HTTP error), never answer text.
          if (failure !== undefined) logger.error({ ...fields, error: failure }, 'generation failed');
          else logger.info(fields, 'generation ended');
        }
      },
    };
  }

  render(connections: number): string {
    return `${[
      gauge('ai_chat_connections', 'Open WebSocket connections.', connections),
      gauge('ai_chat_active_streams', 'Answers being generated.', this.activeStreams),
      this.connectionsAccepted.render(),
      this.upgradesRefused.render(),
      this.closes.render(),
      this.rateLimited.render(),
      this.tokens.render(),
      this.generations.render(),
      this.deltasCoalesced.render(),
      this.slowConsumers.render(),
      this.errorFrames.render(),
      this.resumes.render(),
      gauge(
        'ai_chat_outbound_bytes',
        'Bytes waiting to reach clients: socket send buffers plus coalesced frames held back.',
        this.outboundBytes(),
      ),
      gauge(
        'process_resident_memory_bytes',
        'Resident memory of the server process.',
        process.memoryUsage.rss(),
      ),
    ].join('\n')}\n`;
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
  return (request, response) => {
    const pathname = requestPath(request);
    if (pathname !== paths.health && pathname !== paths.metrics) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const health = store();
    const body =
      pathname === paths.health
        ? `${JSON.stringify({
            status: draining() ? 'draining' : health.ok ? 'ok' : 'degraded',
            connections: connections(),
            activeStreams: metrics.activeStreams,
            store: health,
          })}\n`
        : metrics.render(connections());
    // A draining node, or one that cannot reach its store, answers 503, so a load balancer stops sending it clients.
    response.writeHead(pathname === paths.health && (draining() || !health.ok) ? 503 : 200, {
      'content-type':
        pathname === paths.health
          ? 'application/json; charset=utf-8'
          : 'text/plain; version=0.0.4; charset=utf-8',
      'cache-control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}
