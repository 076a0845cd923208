import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/index.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { checkSessionSecret, type SessionClaims, type SessionSecret } from './session-token.js';

export interface ChatServerAuthOptions {
  /** HMAC key for session tokens, at least 32 bytes. */
  secret: SessionSecret;
  /** How long a session token works, in ms. Default 3600000 (1 hour). */
  ttlMs?: number;
  /** Path of the HTTP endpoint that issues tokens. Default `/session`. */
  sessionPath?: string;
  /** How long after expiry a token may be renewed at the session endpoint, in ms. Default 86400000. */
  renewWindowMs?: number;
  /** Your own check of who may start a session (cookie, header…); false answers 401. Default: anyone. */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveAuthOptions(
  auth: ChatServerAuthOptions,
): Required<Omit<ChatServerAuthOptions, 'authorize'>> & Pick<ChatServerAuthOptions, 'authorize'> {
  if (typeof auth !== 'object' || auth === null) throw new TypeError('auth must be an object');
  const sessionPath = auth.sessionPath ?? '/session';
  if (!sessionPath.startsWith('/')) {
    throw new TypeError(`auth.sessionPath must start with "/", got ${JSON.stringify(sessionPath)}`);
  }
  if (auth.authorize !== undefined && typeof auth.authorize !== 'function') {
    throw new TypeError('auth.authorize must be a function');
  }
  return {
    secret: checkSessionSecret(auth.secret, 'auth.secret'),
    ttlMs: positiveInteger('auth.ttlMs', auth.ttlMs ?? SERVER_DEFAULTS.sessionTtlMs),
    sessionPath,
    renewWindowMs: positiveInteger(
      'auth.renewWindowMs',
      auth.renewWindowMs ?? SERVER_DEFAULTS.sessionRenewWindowMs,
    ),
    authorize: auth.authorize,
  };
}

/** Closes a socket with 4001 'token expired' when its session token runs out; the client renews and resumes. */
export function closeWhenExpired(socket: WebSocket, claims: SessionClaims): void {
  // setTimeout cannot wait longer than 2^31-1 ms; a token that lives longer is closed then and renewed.
  const timer = setTimeout(
    () => socket.close(CloseCode.TokenExpired, 'token expired'),
    Math.min(Math.max(0, claims.expiresAt - Date.now()), 2 ** 31 - 1),
  );
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
