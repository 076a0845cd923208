import type { WebSocket } from 'ws';
import type { Limits } from '../../protocol/index.js';
import { type ChatServerAuthOptions, resolveAuthOptions } from '../auth/session-auth.js';
import type { FollowUpPolicy } from '../conversation/conversation.js';
import type { ChatFeedback } from '../conversation/feedback.js';
import { type ParamsPolicy, resolveParamsPolicy } from '../conversation/params-policy.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { type ChatLogger, checkLogger } from '../ops/logger.js';
import type { ChatSource } from '../sources/types.js';
import type { RedisStoreOptions } from '../store/redis/redis-store.js';
import {
  type ResolvedServerLimits,
  resolveServerLimits,
  type ServerLimitOptions,
} from '../transport/connection-limits.js';
import { type BackpressureOptions, defaultBackpressure } from '../transport/outbound.js';
import { normalizeOrigins } from '../transport/upgrade-guard.js';
import {
  aBoolean,
  aFunction,
  anObject,
  falseOrObject,
  nonNegativeInteger,
  oneOf,
  option,
  positiveInteger,
  urlPath,
} from './check.js';

export interface ChatServerOptions extends ServerLimitOptions {
  /** Where answers come from: a source to read (`generate`) or one that pushes its chunks (`stream`). */
  source: ChatSource;
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
  /**
   * Text a fast source (on average faster than a token per window) produces
   * within this many ms of an answer's last delta joins the next delta, so a
   * fast model costs a frame per window, not per token; the first text, text
   * after a longer pause and a slower source's every token go out at once.
   * 0 sends every token as its own delta. Default 16 (one display frame).
   */
  deltaWindowMs?: number;
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
   * Offer WebSocket compression (permessage-deflate) to clients that ask for
   * it (browsers do). Default false: see README, "Wire weight", for what it
   * saves and what it costs per connection.
   */
  perMessageDeflate?: boolean;
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
   * Called when a reader's verdict on an answer changes (thumbs up, down, or
   * taken back), after the store has recorded it: the answer's id, the
   * verdict, the answer's and the question's texts. Use it to log bad
   * answers. What it throws or rejects with is logged (`feedback_hook_failed`)
   * and changes nothing for the client.
   */
  onFeedback?: (feedback: ChatFeedback) => void | Promise<void>;
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

/** Every option of `createChatServer`, checked once and with its default filled in. */
export interface ResolvedChatServerOptions {
  source: ChatSource;
  path: string;
  heartbeatMs: number;
  limits: Limits;
  followUp: FollowUpPolicy;
  maxQueuedPerConversation: number;
  params: ParamsPolicy;
  allowedOrigins: ReadonlySet<string> | undefined;
  auth: ReturnType<typeof resolveAuthOptions> | undefined;
  serverLimits: ResolvedServerLimits;
  /** Whether the caps count addresses by TCP peer (no `clientIp` given; trusted proxies are counted by what they forward). */
  peerAddresses: boolean;
  logger: ChatLogger;
  operations: false | { healthPath: string; metricsPath: string };
  onSocket: ((socket: WebSocket) => void) | undefined;
  onFeedback: ((feedback: ChatFeedback) => void | Promise<void>) | undefined;
  perMessageDeflate: boolean;
  backpressure: BackpressureOptions;
  conversation: {
    replayMaxChars: number;
    deltaWindowMs: number;
    replayRetentionMs: number;
    maxHistoryMessages: number;
    welcomeHistoryChars: number;
    conversationTtlMs: number;
    maxConversations: number;
    maxNewConversationsPerIp: number;
    newConversationWindowMs: number;
  };
  redis: Omit<RedisStoreOptions, 'replayRetentionMs' | 'maxHistoryMessages'> | undefined;
}

const followUpPolicies = ['queue', 'interrupt'] as const;

function isSource(source: unknown): source is ChatSource {
  const s = source as { generate?: unknown; stream?: unknown } | null | undefined;
  return typeof s?.generate === 'function' || typeof s?.stream === 'function';
}

/** Checks every option once and fills in the defaults; throws a TypeError naming the first bad one. */
export function resolveChatServerOptions(options: ChatServerOptions): ResolvedChatServerOptions {
  if (!options || !isSource(options.source)) {
    throw new TypeError(
      'createChatServer: options.source must be a token source, with a generate() or a stream() method',
    );
  }
  const d = SERVER_DEFAULTS;
  const int = (name: keyof ChatServerOptions & keyof typeof d): number =>
    option(name, options[name], positiveInteger, d[name] as number);
  const maxQueuedPerConversation = int('maxQueuedPerConversation');
  const maxHistoryMessages = int('maxHistoryMessages');
  if (maxHistoryMessages < maxQueuedPerConversation + 4) {
    // Trimming only drops settled messages; this keeps the unsettled newest ones well inside the bound.
    throw new TypeError(
      `maxHistoryMessages must be at least maxQueuedPerConversation + 4 (${maxQueuedPerConversation + 4}), got ${maxHistoryMessages}`,
    );
  }
  const operations = option('operations', options.operations, falseOrObject, {});
  const backpressure = option(
    'backpressure',
    options.backpressure,
    anObject,
    {},
  ) as Partial<BackpressureOptions>;
  const pressure = (key: keyof BackpressureOptions): number =>
    option(`backpressure.${key}`, backpressure[key], positiveInteger, defaultBackpressure[key]);
  const redis = options.redis;
  return {
    source: options.source,
    path: option('path', options.path, urlPath, d.path),
    heartbeatMs: int('heartbeatMs'),
    limits: { maxTextLength: int('maxTextLength'), maxFrameBytes: int('maxFrameBytes') },
    followUp: option('followUp', options.followUp, oneOf(followUpPolicies), d.followUp),
    maxQueuedPerConversation,
    params: resolveParamsPolicy(options.params),
    allowedOrigins:
      options.allowedOrigins === undefined ? undefined : normalizeOrigins(options.allowedOrigins),
    auth: options.auth === undefined ? undefined : resolveAuthOptions(options.auth),
    serverLimits: resolveServerLimits(options),
    peerAddresses: options.clientIp === undefined,
    logger: checkLogger(options.logger),
    operations:
      operations === false
        ? false
        : {
            healthPath: (operations as { healthPath?: string }).healthPath ?? '/healthz',
            metricsPath: (operations as { metricsPath?: string }).metricsPath ?? '/metrics',
          },
    onSocket: option('onSocket', options.onSocket, aFunction) as ResolvedChatServerOptions['onSocket'],
    onFeedback: option(
      'onFeedback',
      options.onFeedback,
      aFunction,
    ) as ResolvedChatServerOptions['onFeedback'],
    perMessageDeflate: option('perMessageDeflate', options.perMessageDeflate, aBoolean, false),
    backpressure: {
      highWaterBytes: pressure('highWaterBytes'),
      slowConsumerMs: pressure('slowConsumerMs'),
      maxPendingBytes: pressure('maxPendingBytes'),
    },
    conversation: {
      replayMaxChars: int('replayMaxChars'),
      deltaWindowMs: option('deltaWindowMs', options.deltaWindowMs, nonNegativeInteger, d.deltaWindowMs),
      replayRetentionMs: int('replayRetentionMs'),
      maxHistoryMessages,
      welcomeHistoryChars: int('welcomeHistoryChars'),
      conversationTtlMs: int('conversationTtlMs'),
      maxConversations: int('maxConversations'),
      maxNewConversationsPerIp: int('maxNewConversationsPerIp'),
      newConversationWindowMs: int('newConversationWindowMs'),
    },
    redis: redis === undefined ? undefined : typeof redis === 'string' ? { url: redis } : redis,
  };
}
