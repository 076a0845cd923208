import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/index.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { aFunction, anObject, option, positiveInteger, urlPath } from '../options/check.js';
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

export function resolveAuthOptions(
  auth: ChatServerAuthOptions,
): Required<Omit<ChatServerAuthOptions, 'authorize'>> & Pick<ChatServerAuthOptions, 'authorize'> {
  option('auth', auth, anObject);
  const sessionPath = option('auth.sessionPath', auth.sessionPath, urlPath, '/session');
  return {
    secret: checkSessionSecret(auth.secret, 'auth.secret'),
    ttlMs: option('auth.ttlMs', auth.ttlMs, positiveInteger, SERVER_DEFAULTS.sessionTtlMs),
    sessionPath,
    renewWindowMs: option(
      'auth.renewWindowMs',
      auth.renewWindowMs,
      positiveInteger,
      SERVER_DEFAULTS.sessionRenewWindowMs,
    ),
    authorize: option('auth.authorize', auth.authorize, aFunction) as ChatServerAuthOptions['authorize'],
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
