import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http/json-body.js';
import { requestPath } from '../http/request-url.js';
import { originAllowed } from '../transport/upgrade-guard.js';
import { createSessionToken, type SessionSecret, verifySessionToken } from './session-token.js';

export interface SessionEndpointOptions {
  secret: SessionSecret;
  /** How long a token works, in ms. */
  ttlMs: number;
  /** URL path of the endpoint, e.g. `/session`. */
  path: string;
  /** With an allow-list, cross-origin callers on it get CORS headers; other origins get 403. */
  allowedOrigins: ReadonlySet<string> | undefined;
  /** How long after its expiry a token may still be traded for a new one, in ms. */
  renewWindowMs: number;
  newConversationId(): string;
  /** The site's own check of the caller (cookie, header…); false answers 401. Default: everyone. */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  now?: () => number;
}

const MAX_BODY_BYTES = 8 * 1024;

/**
 * `POST /session`: issues a conversation id and a signed session token for it,
 * as `{ conversationId, token, expiresAt }`. With a body `{ "token": "…" }`
 * holding a genuine token (even an expired one, within the renew window), it
 * issues a fresh token for that same conversation, which is how a client
 * renews after the server closed with 'token expired'. Returns a handler that
 * answers and returns true for requests on its path, false for others.
 */
export function createSessionEndpoint(
  options: SessionEndpointOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const now = options.now ?? Date.now;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = request.headers.origin;
    const cors: Record<string, string> = { vary: 'Origin' };
    if (origin !== undefined && options.allowedOrigins?.has(origin)) {
      cors['access-control-allow-origin'] = origin;
    }
    if (origin !== undefined && !originAllowed(origin, options.allowedOrigins)) {
      sendJson(response, 403, { error: 'origin not allowed' }, cors);
      return;
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: 'use POST' }, { ...cors, allow: 'POST, OPTIONS' });
      return;
    }
    if (options.authorize && !(await options.authorize(request))) {
      sendJson(response, 401, { error: 'not authorized' }, cors);
      return;
    }
    const raw = await readBody(request, MAX_BODY_BYTES);
    if (raw === undefined) {
      sendJson(response, 413, { error: 'body too large' }, cors);
      return;
    }
    let previous: unknown;
    if (raw.trim() !== '') {
      try {
        previous = (JSON.parse(raw) as { token?: unknown } | null)?.token;
      } catch {
        sendJson(response, 400, { error: 'body must be JSON: {} or {"token": "…"}' }, cors);
        return;
      }
    }
    let conversationId: string;
    if (previous === undefined) {
      conversationId = options.newConversationId();
    } else {
      const checked = verifySessionToken(
        typeof previous === 'string' ? previous : '',
        options.secret,
        now(),
        {
          ignoreExpiry: true,
        },
      );
      if (!checked.ok || now() > checked.claims.expiresAt + options.renewWindowMs) {
        sendJson(response, 401, { error: 'token cannot be renewed; start a new session' }, cors);
        return;
      }
      conversationId = checked.claims.conversationId;
    }
    const expiresAt = now() + options.ttlMs;
    const token = createSessionToken({ conversationId, expiresAt }, options.secret);
    sendJson(response, 200, { conversationId, token, expiresAt }, cors);
  }

  return (request, response) => {
    if (requestPath(request) !== options.path) return false;
    serve(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    });
    return true;
  };
}
