import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode, ErrorCode, type ErrorFrame } from '../../protocol/index.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { TokenBucket } from './token-bucket.js';

/** Abuse limits of the chat server; every one has a default. */
export interface ServerLimitOptions {
  /** Open connections (and upgrades in progress) in total; more get HTTP 503. Default 10000. */
  maxConnections?: number;
  /** Open connections per client IP; more get HTTP 429. Default 100. */
  maxConnectionsPerIp?: number;
  /**
   * The client address the per-IP cap counts. Default: the socket's remote
   * address. Behind a proxy, read its header (e.g. the last `X-Forwarded-For` hop it adds).
   */
  clientIp?: (request: IncomingMessage) => string;
  /** Inbound frames per connection: a bucket of `burst` frames refilled at `perSecond`. Default 30 and 10. */
  rateLimit?: { burst?: number; perSecond?: number };
  /** A connection that sends no `hello` within this many ms is closed with 4408. Default 10000. */
  handshakeTimeoutMs?: number;
  /**
   * A connection that sends no frame (WebSocket pongs do not count) within
   * this many ms is closed with 4409. Default 300000 (5 minutes).
   */
  idleTimeoutMs?: number;
}

export interface ResolvedServerLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  clientIp: (request: IncomingMessage) => string;
  rateLimit: { burst: number; perSecond: number };
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
}

function positive(name: string, value: unknown, integer = true): number {
  if (
    typeof value !== 'number' ||
    !(value > 0) ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

/** Validates the limit options once and fills in defaults; throws a TypeError naming a bad one. */
export function resolveServerLimits(options: ServerLimitOptions): ResolvedServerLimits {
  const rate = options.rateLimit ?? {};
  if (typeof rate !== 'object' || rate === null) throw new TypeError('rateLimit must be an object');
  if (options.clientIp !== undefined && typeof options.clientIp !== 'function') {
    throw new TypeError('clientIp must be a function');
  }
  return {
    maxConnections: positive('maxConnections', options.maxConnections ?? SERVER_DEFAULTS.maxConnections),
    maxConnectionsPerIp: positive(
      'maxConnectionsPerIp',
      options.maxConnectionsPerIp ?? SERVER_DEFAULTS.maxConnectionsPerIp,
    ),
    clientIp: options.clientIp ?? ((request) => request.socket.remoteAddress ?? 'unknown'),
    rateLimit: {
      burst: positive('rateLimit.burst', rate.burst ?? SERVER_DEFAULTS.rateLimitBurst),
      perSecond: positive('rateLimit.perSecond', rate.perSecond ?? SERVER_DEFAULTS.rateLimitPerSecond, false),
    },
    handshakeTimeoutMs: positive(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs ?? SERVER_DEFAULTS.handshakeTimeoutMs,
    ),
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? SERVER_DEFAULTS.idleTimeoutMs),
  };
}

export interface ConnectionGuard {
  /** Admits one inbound frame: true, or the error frame to answer with, or false to drop it silently. */
  admitFrame(): true | ErrorFrame | false;
  /** The client said hello: the handshake timer stops. */
  helloReceived(): void;
}

/**
 * Per-connection limits: the handshake timer (4408), the idle timer (4409)
 * and the inbound rate limit. A client over the rate gets one `rate_limited`
 * error with `retryAfterMs`; further frames are dropped without an answer
 * until one is admitted again, so a flood cannot make the server write.
 */
export function guardConnection(socket: WebSocket, limits: ResolvedServerLimits): ConnectionGuard {
  const bucket = new TokenBucket(limits.rateLimit.burst, limits.rateLimit.perSecond);
  let warned = false;
  const handshake = setTimeout(
    () => socket.close(CloseCode.HandshakeTimeout, 'no hello in time'),
    limits.handshakeTimeoutMs,
  );
  const idle = setTimeout(() => socket.close(CloseCode.IdleTimeout, 'idle timeout'), limits.idleTimeoutMs);
  handshake.unref();
  idle.unref();
  socket.on('message', () => idle.refresh());
  socket.once('close', () => {
    clearTimeout(handshake);
    clearTimeout(idle);
  });
  return {
    admitFrame() {
      const retryAfterMs = bucket.take();
      if (retryAfterMs === 0) {
        warned = false;
        return true;
      }
      if (warned) return false;
      warned = true;
      return {
        type: 'error',
        code: ErrorCode.RateLimited,
        message: `Too many frames; this one was dropped. Retry in ${retryAfterMs} ms.`,
        retryable: true,
        retryAfterMs,
      };
    },
    helloReceived() {
      clearTimeout(handshake);
    },
  };
}
