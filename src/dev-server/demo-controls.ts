/**
 * Dev-only demo controls: a slow network and a dropped connection, on demand,
 * so the demo page can show the widget reconnecting and resuming live. Off
 * unless the dev server is started with `--demo-controls`; never part of the
 * chat server itself.
 *
 * - `GET /demo/network` answers `{ "delayMs": n }`, the current delay.
 * - `POST /demo/network` with `{ "delayMs": n }` (integer, 0 to 10000) delays
 *   every frame the server sends, on every connection, by `n` ms, one frame
 *   after the other (order kept; 0 turns it off, and frames already waiting
 *   still go out in order).
 * - `POST /demo/drop` terminates every open WebSocket abruptly (no close
 *   frame, like a network failure) and answers `{ "dropped": n }`. Answers
 *   being generated keep going; clients reconnect and resume them.
 *
 * Both POSTs need `content-type: application/json`, and a request carrying an
 * `Origin` must come from the server's own origin, so another site cannot
 * trigger them from a visitor's browser.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { readBody, sendJson } from '../server/http/json-body.js';
import { requestPath } from '../server/http/request-url.js';

export const DEMO_NETWORK_PATH = '/demo/network';
export const DEMO_DROP_PATH = '/demo/drop';
/** Largest accepted `delayMs`. */
export const MAX_DEMO_DELAY_MS = 10_000;
const MAX_BODY_BYTES = 1024;

export interface DemoControls {
  /** Hook for `ChatServerOptions.onSocket`: tracks the socket and routes its sends through the delay queue. */
  onSocket(socket: WebSocket): void;
  /** Answers `/demo/network` and `/demo/drop`; false for other paths. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** Current delay per frame, in ms. */
  readonly delayMs: number;
  /** Terminates every open socket; returns how many. */
  drop(): number;
}

type SendArgs = Parameters<WebSocket['send']>;

export function createDemoControls(): DemoControls {
  let delayMs = 0;
  const sockets = new Set<WebSocket>();

  function onSocket(socket: WebSocket): void {
    sockets.add(socket);
    const original = socket.send.bind(socket) as (...args: SendArgs) => void;
    const queue: SendArgs[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flushOne = (): void => {
      timer = undefined;
      const next = queue.shift();
      if (next && socket.readyState === socket.OPEN) original(...next);
      if (queue.length > 0) timer = setTimeout(flushOne, delayMs);
    };
    const delayed = (...args: SendArgs): void => {
      if (delayMs === 0 && queue.length === 0) {
        original(...args);
        return;
      }
      queue.push(args);
      if (timer === undefined) timer = setTimeout(flushOne, delayMs);
    };
    // Own property shadows the prototype's method for this socket only.
    socket.send = delayed as WebSocket['send'];
    socket.once('close', () => {
      sockets.delete(socket);
      clearTimeout(timer);
      queue.length = 0;
    });
  }

  function drop(): number {
    const open = [...sockets];
    for (const socket of open) socket.terminate();
    return open.length;
  }

  async function serve(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    if (path === DEMO_NETWORK_PATH && request.method === 'GET') {
      sendJson(response, 200, { delayMs });
      return;
    }
    if (request.method !== 'POST') {
      sendJson(
        response,
        405,
        { error: `use POST${path === DEMO_NETWORK_PATH ? ' (or GET to read)' : ''}` },
        {
          allow: path === DEMO_NETWORK_PATH ? 'GET, POST' : 'POST',
        },
      );
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${request.headers.host ?? ''}`) {
      sendJson(response, 403, { error: 'demo controls only answer pages of this server' });
      return;
    }
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
      sendJson(response, 415, { error: 'send content-type: application/json' });
      return;
    }
    const raw = await readBody(request, MAX_BODY_BYTES);
    if (raw === undefined) {
      sendJson(response, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
      return;
    }
    if (path === DEMO_DROP_PATH) {
      sendJson(response, 200, { dropped: drop() });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(response, 400, { error: 'body must be JSON: {"delayMs": <integer 0 to 10000>}' });
      return;
    }
    const value = (body as { delayMs?: unknown } | null)?.delayMs;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DEMO_DELAY_MS) {
      sendJson(response, 400, {
        error: `delayMs must be an integer from 0 to ${MAX_DEMO_DELAY_MS}, got ${JSON.stringify(value) ?? 'nothing'}`,
      });
      return;
    }
    delayMs = value;
    sendJson(response, 200, { delayMs });
  }

  return {
    onSocket,
    drop,
    get delayMs() {
      return delayMs;
    },
    handleRequest(request, response) {
      const pathname = requestPath(request);
      if (pathname !== DEMO_NETWORK_PATH && pathname !== DEMO_DROP_PATH) return false;
      serve(request, response, pathname).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      return true;
    },
  };
}
