import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type SessionClaims,
  type SessionSecret,
  type TokenFailure,
  verifySessionToken,
} from '../auth/session-token.js';
import { requestUrl } from '../http/request-url.js';
import type { ConnectionCaps } from './connection-caps.js';

/**
 * Checks a WebSocket upgrade request before any WebSocket exists: its Origin
 * against the allow-list and its session token (the `token` query parameter,
 * since browsers cannot set headers on a WebSocket). A refused upgrade gets a
 * plain HTTP answer on the raw socket.
 */

/** Turns a configured origin list into the exact strings browsers send; throws a TypeError on a bad entry. */
export function normalizeOrigins(origins: unknown, name = 'allowedOrigins'): ReadonlySet<string> {
  if (!Array.isArray(origins)) throw new TypeError(`${name} must be an array of origins`);
  const set = new Set<string>();
  for (const entry of origins) {
    let origin: string | undefined;
    if (typeof entry === 'string' && /^https?:\/\/[^/]+\/?$/i.test(entry.trim())) {
      try {
        origin = new URL(entry.trim()).origin;
      } catch {
        origin = undefined;
      }
    }
    if (!origin || origin === 'null') {
      throw new TypeError(
        `${name}: ${JSON.stringify(entry)} is not an origin like "https://example.com" or "http://localhost:5173"`,
      );
    }
    set.add(origin);
  }
  return set;
}

/** Whether a request's Origin header is allowed; with no allow-list, every origin is. */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string> | undefined): boolean {
  if (!allowed) return true;
  return origin !== undefined && allowed.has(origin);
}

export interface UpgradeGuardOptions {
  /** With a secret, every upgrade needs a valid session token. */
  secret?: SessionSecret;
  allowedOrigins?: ReadonlySet<string>;
  now?: () => number;
}

export type UpgradeDecision =
  | { ok: true; claims: SessionClaims | undefined }
  | { ok: false; status: 401 | 403; reason: string };

const tokenMessages: Record<TokenFailure, string> = {
  missing: 'session token missing',
  malformed: 'session token malformed',
  'bad-signature': 'session token invalid',
  expired: 'token expired',
};

export function checkUpgrade(request: IncomingMessage, options: UpgradeGuardOptions): UpgradeDecision {
  if (!originAllowed(request.headers.origin, options.allowedOrigins)) {
    return { ok: false, status: 403, reason: 'origin not allowed' };
  }
  if (options.secret === undefined) return { ok: true, claims: undefined };
  const token = requestUrl(request)?.searchParams.get('token') ?? null;
  const result = verifySessionToken(token, options.secret, (options.now ?? Date.now)());
  if (!result.ok) return { ok: false, status: 401, reason: tokenMessages[result.reason] };
  return { ok: true, claims: result.claims };
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  // Do not wait on a peer that never reads its answer.
  setTimeout(() => socket.destroy(), 1000).unref();
}

export interface AdmitUpgradeOptions extends UpgradeGuardOptions {
  caps: ConnectionCaps;
  /** Whether the socket already holds a place in the caps (counted from its first byte). */
  holdsPlace?: (socket: Duplex) => boolean;
  clientIp: (request: IncomingMessage) => string;
  /** Told the HTTP status of each refusal (for metrics). */
  onRefused?: (status: number) => void;
}

/**
 * Runs every check on an upgrade request in order (origin, token, connection
 * caps); on refusal answers on the raw socket and returns undefined. On
 * success the connection counts against the caps until its TCP socket
 * closes (handshakes in progress included), and the token's claims are returned.
 */
export function admitUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  options: AdmitUpgradeOptions,
): { claims: SessionClaims | undefined } | undefined {
  const decision = checkUpgrade(request, options);
  if (!decision.ok) {
    options.onRefused?.(decision.status);
    refuseUpgrade(socket, decision.status, decision.reason);
    return undefined;
  }
  // A connection that holds its address's place already counts toward the total only.
  const ip = options.clientIp(request);
  const addressHeld = options.holdsPlace?.(socket) ?? false;
  const capped = addressHeld ? options.caps.acquireTotal() : options.caps.acquire(ip);
  if (!capped.ok) {
    options.onRefused?.(capped.status);
    refuseUpgrade(socket, capped.status, capped.reason, { 'Retry-After': '5' });
    return undefined;
  }
  // Holds the caps alone, not `options` or the request: this lives as long as the connection.
  const { caps } = options;
  socket.once('close', addressHeld ? () => caps.releaseTotal() : () => caps.release(ip));
  return { claims: decision.claims };
}
