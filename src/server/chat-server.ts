import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Limits } from '../protocol/index.js';
import { type ChatServerAuthOptions, closeWhenExpired, resolveAuthOptions } from './auth/session-auth.js';
import { createSessionEndpoint } from './auth/session-endpoint.js';
import type { SessionClaims } from './auth/session-token.js';
import type { FollowUpPolicy } from './conversation/conversation.js';
import { newId } from './conversation/ids.js';
import { type ParamsPolicy, resolveParamsPolicy } from './conversation/params-policy.js';
import { SERVER_DEFAULTS } from './defaults.js';
import { requestPath } from './http/request-url.js';
import { type ChatLogger, checkLogger } from './ops/logger.js';
import { ChatMetrics, createOpsEndpoint } from './ops/metrics.js';
import type { TokenSource } from './sources/types.js';
import type { ChatConversation, ConversationStore } from './store/conversation-store.js';
import { ConversationRegistry } from './store/memory-store.js';
import { RedisConversationStore } from './store/redis/redis-conversation-store.js';
import type { RedisStoreOptions } from './store/redis/redis-store.js';
import { Connection, type ConnectionEvents } from './transport/connection.js';
import { ConnectionCaps } from './transport/connection-caps.js';
import {
  guardConnection,
  resolveServerLimits,
  type ServerLimitOptions,
} from './transport/connection-limits.js';
import { KeyedRateLimiter } from './transport/keyed-rate-limiter.js';
import { type BackpressureOptions, defaultBackpressure } from './transport/outbound.js';
import { PeerGuard } from './transport/peer-guard.js';
import { admitUpgrade, normalizeOrigins, refuseUpgrade } from './transport/upgrade-guard.js';

export type { ChatServerAuthOptions } from './auth/session-auth.js';
export type { ChatLogger } from './ops/logger.js';

export interface ChatServerOptions extends ServerLimitOptions {
  /** Where answers come from. */
  source: TokenSource;
  /** URL path that accepts WebSocket upgrades. Default `/ws`. */
  path?: string;
  /** Interval of WebSocket pings; a socket that misses one is terminated. Default 15000. */
  heartbeatMs?: number;
  /** Longest user message, in characters. Default 8000. */
  maxTextLength?: number;
  /** Largest inbound frame, in bytes; larger ones close the socket with 1009. Default 65536. */
  maxFrameBytes?: number;
  /** A message sent while an answer streams waits for it (`queue`, default) or stops it (`interrupt`). */
  followUp?: FollowUpPolicy;
  /**
   * With `followUp: 'queue'`, how many messages may wait behind the answer
   * being generated in one conversation; a send beyond gets an `error` with
   * code `busy` (`retryable: true`). Default 4.
   */
  maxQueuedPerConversation?: number;
  /** Characters of deltas kept per answer for exact replay on resume. Default 262144. */
  replayMaxChars?: number;
  /** How long an answer's deltas are kept after it ends; later resumes get a snapshot. Default 300000. */
  replayRetentionMs?: number;
  /**
   * In memory: a conversation nobody follows and nothing generates is
   * forgotten after this long. Default 1800000 (with Redis, see `redis.historyTtlMs`).
   */
  conversationTtlMs?: number;
  /**
   * In memory: conversations held at most; a new one evicts the least
   * recently active one nobody follows, or is refused (`busy`, close 4029)
   * when all are in use. Default 10000.
   */
  maxConversations?: number;
  /**
   * New conversations one client address may open per `newConversationWindowMs`
   * (in bursts of up to this many); a hello over it gets `rate_limited` with
   * `retryAfterMs` and close 4029. Default 60 per 60000 ms.
   */
  maxNewConversationsPerIp?: number;
  newConversationWindowMs?: number;
  /**
   * Messages kept per conversation (in memory and in Redis); older answered
   * ones are dropped, and a welcome says how many it leaves out (`omitted`).
   * Default 200.
   */
  maxHistoryMessages?: number;
  /** Characters of message text one `welcome` carries at most; older history is left out of it. Default 262144. */
  welcomeHistoryChars?: number;
  /**
   * Keep conversations in Redis instead of this process's memory, so many
   * server nodes share them (`redis://host:port`, or options). Default: memory.
   */
  redis?: string | Omit<RedisStoreOptions, 'replayRetentionMs'>;
  /** Which per-message parameters clients may set, and their bounds. */
  params?: Partial<ParamsPolicy>;
  /**
   * Signed session tokens. When set, `POST /session` issues them and an upgrade
   * without a valid one (query parameter `token`) is refused with HTTP 401;
   * a token opens only its own conversation. Off unless set.
   */
  auth?: ChatServerAuthOptions;
  /**
   * Origins (`https://example.com`) allowed to open a socket or call the
   * session endpoint; other origins, and upgrades with no Origin, get HTTP
   * 403. Off (every origin) unless set.
   */
  allowedOrigins?: readonly string[];
  /**
   * `GET /healthz` (JSON) and `GET /metrics` (Prometheus text) through
   * `handleRequest`. On by default; `false` turns both off.
   */
  operations?: false | { healthPath?: string; metricsPath?: string };
  /**
   * Called with every accepted WebSocket before the protocol starts on it.
   * The dev server's `--demo-controls` use it to delay and drop sockets.
   */
  onSocket?: (socket: WebSocket) => void;
  /**
   * A client that reads slower than answers arrive: over `highWaterBytes` in
   * its send buffer (default 65536) deltas are coalesced into fewer, larger
   * frames; over it for `slowConsumerMs` (default 30000), or with more than
   * `maxPendingBytes` held back (default 1048576), it is closed with 4008 and
   * resumes when it reconnects.
   */
  backpressure?: Partial<BackpressureOptions>;
  /**
   * Structured logs: connections opened and closed (with the close code),
   * refused upgrades, error frames sent, resumes, slow consumers, generation
   * outcomes, draining. Any pino logger fits. Never logs message text, answer
   * tokens or session tokens. Default: no logs.
   */
  logger?: ChatLogger;
}

export interface ChatServer {
  readonly path: string;
  /** Counters behind `GET /metrics`. */
  readonly metrics: ChatMetrics;
  /** Hands an HTTP upgrade request to the chat server; returns false when the path is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Answers the server's own HTTP requests (`POST /session`, `GET /healthz`, `GET /metrics`); false when the path is not ours. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** Routes `server`'s upgrade requests for `path` to the chat server. */
  attach(server: Server): void;
  /** Bytes held for each open connection (send buffer plus coalesced frames waiting), in no particular order. */
  outboundBytes(): number[];
  /**
   * Graceful shutdown: refuses new upgrades (HTTP 503) and reports `draining`
   * on the health path (HTTP 503), closes every socket with 1001 so clients
   * reconnect elsewhere, lets answers being generated finish for up to
   * `deadlineMs` (they are kept for resumes), then stops what is left, which
   * ends `interrupted`, and closes like `close()`.
   */
  drain(deadlineMs: number): Promise<void>;
  /** Whether `drain` was called. */
  readonly draining: boolean;
  /** Closes every socket and stops the heartbeat. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function resolveBackpressure(options: Partial<BackpressureOptions> | undefined): BackpressureOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('backpressure must be an object');
  }
  const o = { ...defaultBackpressure, ...options };
  return {
    highWaterBytes: positiveInteger('backpressure.highWaterBytes', o.highWaterBytes),
    slowConsumerMs: positiveInteger('backpressure.slowConsumerMs', o.slowConsumerMs),
    maxPendingBytes: positiveInteger('backpressure.maxPendingBytes', o.maxPendingBytes),
  };
}

export function createChatServer(options: ChatServerOptions): ChatServer {
  if (!options || typeof options.source?.generate !== 'function') {
    throw new TypeError('createChatServer: options.source must be a TokenSource with a generate() method');
  }
  const path = options.path ?? SERVER_DEFAULTS.path;
  if (!path.startsWith('/')) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);
  const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs ?? SERVER_DEFAULTS.heartbeatMs);
  const limits: Limits = {
    maxTextLength: positiveInteger('maxTextLength', options.maxTextLength ?? SERVER_DEFAULTS.maxTextLength),
    maxFrameBytes: positiveInteger('maxFrameBytes', options.maxFrameBytes ?? SERVER_DEFAULTS.maxFrameBytes),
  };

  const followUp = options.followUp ?? SERVER_DEFAULTS.followUp;
  if (followUp !== 'queue' && followUp !== 'interrupt') {
    throw new TypeError(`followUp must be "queue" or "interrupt", got ${JSON.stringify(followUp)}`);
  }
  const maxQueuedPerConversation = positiveInteger(
    'maxQueuedPerConversation',
    options.maxQueuedPerConversation ?? SERVER_DEFAULTS.maxQueuedPerConversation,
  );
  const params = resolveParamsPolicy(options.params);
  const allowedOrigins =
    options.allowedOrigins === undefined ? undefined : normalizeOrigins(options.allowedOrigins);
  const auth = options.auth === undefined ? undefined : resolveAuthOptions(options.auth);
  const serverLimits = resolveServerLimits(options);
  const metrics = new ChatMetrics();
  const logger = checkLogger(options.logger);
  let draining = false;
  const operations = options.operations === undefined ? {} : options.operations;
  if (operations !== false && (typeof operations !== 'object' || operations === null)) {
    throw new TypeError('operations must be false or an object');
  }
  if (options.onSocket !== undefined && typeof options.onSocket !== 'function') {
    throw new TypeError('onSocket must be a function');
  }
  const backpressure = resolveBackpressure(options.backpressure);
  const caps = new ConnectionCaps(serverLimits.maxConnections, serverLimits.maxConnectionsPerIp);

  const maxHistoryMessages = positiveInteger(
    'maxHistoryMessages',
    options.maxHistoryMessages ?? SERVER_DEFAULTS.maxHistoryMessages,
  );
  if (maxHistoryMessages < maxQueuedPerConversation + 4) {
    // Trimming only drops settled messages; this keeps the unsettled newest ones well inside the bound.
    throw new TypeError(
      `maxHistoryMessages must be at least maxQueuedPerConversation + 4 (${maxQueuedPerConversation + 4}), got ${maxHistoryMessages}`,
    );
  }
  const conversationOptions = {
    source: metrics.meter(options.source, logger),
    followUp,
    replayMaxChars: positiveInteger(
      'replayMaxChars',
      options.replayMaxChars ?? SERVER_DEFAULTS.replayMaxChars,
    ),
    replayRetentionMs: positiveInteger(
      'replayRetentionMs',
      options.replayRetentionMs ?? SERVER_DEFAULTS.replayRetentionMs,
    ),
    maxHistoryMessages,
    welcomeHistoryChars: positiveInteger(
      'welcomeHistoryChars',
      options.welcomeHistoryChars ?? SERVER_DEFAULTS.welcomeHistoryChars,
    ),
  };
  const conversationTtlMs = positiveInteger(
    'conversationTtlMs',
    options.conversationTtlMs ?? SERVER_DEFAULTS.conversationTtlMs,
  );
  const maxConversations = positiveInteger(
    'maxConversations',
    options.maxConversations ?? SERVER_DEFAULTS.maxConversations,
  );
  const newConversations = new KeyedRateLimiter(
    positiveInteger(
      'maxNewConversationsPerIp',
      options.maxNewConversationsPerIp ?? SERVER_DEFAULTS.maxNewConversationsPerIp,
    ),
    positiveInteger(
      'newConversationWindowMs',
      options.newConversationWindowMs ?? SERVER_DEFAULTS.newConversationWindowMs,
    ),
  );
  const conversations: ConversationStore =
    options.redis === undefined
      ? new ConversationRegistry(conversationOptions, conversationTtlMs, maxConversations)
      : new RedisConversationStore(
          {
            ...(typeof options.redis === 'string' ? { url: options.redis } : options.redis),
            replayRetentionMs: conversationOptions.replayRetentionMs,
            maxHistoryMessages,
          },
          conversationOptions,
        );
  /** With a session token, a connection may open its own conversation only; new ones count against its address. */
  const openFor =
    (claims: SessionClaims | undefined, ip: string) =>
    (id: string | undefined): ChatConversation | Promise<ChatConversation> | undefined => {
      const admitNew = (): number => newConversations.take(ip);
      if (!claims) return conversations.open(id, { admitNew });
      if (id !== undefined && id !== claims.conversationId) return undefined;
      return conversations.open(claims.conversationId, { createWithId: true, admitNew });
    };
  const sessionEndpoint =
    auth &&
    createSessionEndpoint({
      ...auth,
      path: auth.sessionPath,
      allowedOrigins,
      newConversationId: () => newId('c'),
    });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
  });
  const alive = new WeakSet<WebSocket>();
  const connections = new Set<Connection>();
  const outboundBytes = (): number[] => Array.from(connections, (c) => c.outboundBytes);
  metrics.outboundBytes = () => outboundBytes().reduce((a, b) => a + b, 0);
  /** One object for every connection: each event names its connection. */
  const events: ConnectionEvents = {
    coalesced: (_id, merged) => metrics.deltasCoalesced.inc({}, merged),
    slowConsumer: (connectionId) => {
      metrics.slowConsumers.inc();
      logger.warn({ event: 'slow_consumer', connectionId }, 'closing a slow consumer with 4008');
    },
    errorFrame: (connectionId, frame) => {
      metrics.errorFrames.inc({ code: frame.code });
      const level = frame.code === 'source_failed' || frame.code === 'internal' ? 'warn' : 'info';
      logger[level]({ event: 'error_frame', connectionId, code: frame.code }, 'error frame sent');
    },
    resume: (connectionId, result) => {
      metrics.resumes.inc({ result });
      logger.debug({ event: 'resume', connectionId, result }, 'answer resumed');
    },
    welcomed: (connectionId, conversationId) =>
      logger.debug({ event: 'welcome', connectionId, conversationId }, 'client welcomed'),
  };
  let connectionCount = 0;
  wss.on('connection', (socket: WebSocket, request: IncomingMessage, claims?: SessionClaims) => {
    const connectionId = ++connectionCount;
    const opened = Date.now();
    const ip = serverLimits.clientIp(request);
    logger.info({ event: 'connection_open', connectionId, ip }, 'connection opened');
    options.onSocket?.(socket);
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('error', () => socket.terminate());
    if (claims) closeWhenExpired(socket, claims);
    metrics.connectionsAccepted.inc();
    const guard = guardConnection(socket, serverLimits);
    const open = openFor(claims, ip);
    const connection = new Connection(socket, {
      limits,
      heartbeatMs,
      params,
      openConversation: (id) => {
        guard.helloReceived();
        return open(id);
      },
      admitFrame: () => {
        const verdict = guard.admitFrame();
        if (verdict !== true) metrics.rateLimited.inc();
        return verdict;
      },
      // With `interrupt` a send replaces what waits, so nothing piles up.
      maxQueuedPerConversation: followUp === 'queue' ? maxQueuedPerConversation : undefined,
      backpressure,
      events,
      id: connectionId,
    });
    connections.add(connection);
    socket.once('close', (code) => {
      connections.delete(connection);
      metrics.closes.inc({ code: String(code) });
      logger.info(
        { event: 'connection_close', connectionId, code, durationMs: Date.now() - opened },
        'connection closed',
      );
    });
  });
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  const opsEndpoint =
    operations === false
      ? undefined
      : createOpsEndpoint(
          metrics,
          () => wss.clients.size,
          () => conversations.health(),
          {
            health: operations.healthPath ?? '/healthz',
            metrics: operations.metricsPath ?? '/metrics',
          },
          () => draining,
        );
  const refused = (status: number, request: IncomingMessage): void => {
    metrics.upgradesRefused.inc({ status: String(status) });
    logger.info({ event: 'upgrade_refused', status, ip: serverLimits.clientIp(request) }, 'upgrade refused');
  };
  // With the default clientIp the caps' address is the TCP peer's: count each connection from its first byte.
  const peers =
    options.clientIp === undefined
      ? new PeerGuard(caps, (status) => {
          metrics.upgradesRefused.inc({ status: String(status) });
          logger.info({ event: 'connection_refused', status }, 'connection refused');
        })
      : undefined;

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (requestPath(request) !== path) return false;
    if (draining) {
      refused(503, request);
      refuseUpgrade(socket, 503, 'server shutting down', { 'Retry-After': '1' });
      return true;
    }
    const admitted = admitUpgrade(request, socket, {
      secret: auth?.secret,
      allowedOrigins,
      caps,
      holdsPlace: peers && ((socket) => peers.holdsPlace(socket)),
      clientIp: serverLimits.clientIp,
      onRefused: (status) => refused(status, request),
    });
    if (!admitted) return true;
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request, admitted.claims));
    return true;
  };

  const close = async (): Promise<void> => {
    clearInterval(heartbeat);
    for (const socket of wss.clients) socket.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    newConversations.close();
    await conversations.close();
  };

  return {
    path,
    handleUpgrade,
    metrics,
    outboundBytes,
    handleRequest: (request, response) =>
      (sessionEndpoint?.(request, response) || opsEndpoint?.(request, response)) ?? false,
    attach(server) {
      peers?.watch(server);
      server.on('upgrade', (request, socket, head) => {
        try {
          if (!handleUpgrade(request, socket, head)) refuseUpgrade(socket, 404, 'not found');
        } catch (error) {
          // One bad upgrade request costs its own socket, never the process.
          logger.error({ event: 'upgrade_failed', error: String(error) }, 'upgrade handler threw');
          refuseUpgrade(socket, 500, 'internal error');
        }
      });
    },
    get draining() {
      return draining;
    },
    async drain(deadlineMs) {
      positiveInteger('drain deadlineMs', deadlineMs);
      draining = true;
      logger.info(
        {
          event: 'drain_start',
          connections: wss.clients.size,
          activeStreams: metrics.activeStreams,
          deadlineMs,
        },
        'draining',
      );
      for (const socket of wss.clients) socket.close(1001, 'going away');
      const deadline = Date.now() + deadlineMs;
      while (metrics.activeStreams > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const interrupted = metrics.activeStreams;
      await conversations.close(); // what is still generating ends `interrupted`
      const settled = Date.now() + 1000;
      while (metrics.activeStreams > 0 && Date.now() < settled) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Clients had the whole deadline to answer the close; do not wait on the rest.
      for (const socket of wss.clients) socket.terminate();
      logger.info({ event: 'drain_end', interrupted }, 'drained');
      await close();
    },
    close,
  };
}
