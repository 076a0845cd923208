import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode, ErrorCode, type ErrorFrame } from '../../protocol/index.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { aFunction, anObject, option, positiveInteger, positiveNumber } from '../options/check.js';
import { closePromptly } from './close-promptly.js';
import { TokenBucket } from './token-bucket.js';
import { type TrustProxyOptions, trustProxy } from './trusted-proxy.js';

/** Abuse limits of the chat server; every one has a default. */
export interface ServerLimitOptions {
  /** Open connections (and upgrades in progress) in total; more get HTTP 503. Default 10000. */
  maxConnections?: number;
  /** Open connections per client IP; more get HTTP 429. Default 100. */
  maxConnectionsPerIp?: number;
  /**
   * The client address the per-IP cap counts. Default: the socket's remote
   * address. Behind a proxy, prefer `trustProxy`; not both.
   */
  clientIp?: (request: IncomingMessage) => string;
  /**
   * Behind reverse proxies: the client address is read from their header
   * (`X-Forwarded-For` by default), only on connections that come from one
   * of `proxies`, as the right-most address in it that is not a proxy (see
   * docs/deploy-proxy.md). Connections from anywhere else are counted by
   * their own address, from their first byte. Off unless set.
   */
  trustProxy?: TrustProxyOptions;
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
  /** With `trustProxy`: whether a TCP peer is a trusted proxy (its connections are counted by the address it forwards). */
  isProxy: ((address: string | undefined) => boolean) | undefined;
  rateLimit: { burst: number; perSecond: number };
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Validates the limit options once and fills in defaults; throws a TypeError naming a bad one. */
export function resolveServerLimits(options: ServerLimitOptions): ResolvedServerLimits {
  const rate = option('rateLimit', options.rateLimit, anObject, {}) as { burst?: number; perSecond?: number };
  const d = SERVER_DEFAULTS;
  const clientIp = option('clientIp', options.clientIp, aFunction) as
    | ResolvedServerLimits['clientIp']
    | undefined;
  if (clientIp !== undefined && options.trustProxy !== undefined) {
    throw new TypeError('clientIp and trustProxy both say where the client address comes from: give one');
  }
  const proxy = options.trustProxy === undefined ? undefined : trustProxy(options.trustProxy);
  return {
    maxConnections: option('maxConnections', options.maxConnections, positiveInteger, d.maxConnections),
    maxConnectionsPerIp: option(
      'maxConnectionsPerIp',
      options.maxConnectionsPerIp,
      positiveInteger,
      d.maxConnectionsPerIp,
    ),
    clientIp: clientIp ?? proxy?.clientIp ?? ((request) => request.socket.remoteAddress ?? 'unknown'),
    isProxy: proxy?.isProxy,
    rateLimit: {
      burst: option('rateLimit.burst', rate.burst, positiveInteger, d.rateLimitBurst),
      perSecond: option('rateLimit.perSecond', rate.perSecond, positiveNumber, d.rateLimitPerSecond),
    },
    handshakeTimeoutMs: option(
      'handshakeTimeoutMs',
      options.handshakeTimeoutMs,
      positiveInteger,
      d.handshakeTimeoutMs,
    ),
    idleTimeoutMs: option('idleTimeoutMs', options.idleTimeoutMs, positiveInteger, d.idleTimeoutMs),
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
    () => closePromptly(socket, CloseCode.HandshakeTimeout, 'no hello in time'),
    limits.handshakeTimeoutMs,
  );
  const idle = setTimeout(
    () => closePromptly(socket, CloseCode.IdleTimeout, 'idle timeout'),
    limits.idleTimeoutMs,
  );
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
