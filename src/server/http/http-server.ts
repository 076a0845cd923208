import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ChatServer, type ChatServerOptions, createChatServer } from '../chat-server.js';
import { SERVER_DEFAULTS } from '../defaults.js';
import { aFunction, anObject, option, portNumber, positiveInteger, text, tlsPair } from '../options/check.js';
import { refuseUpgrade } from '../transport/upgrade-guard.js';
import { requestUrl } from './request-url.js';
import { type Mounts, serveStatic } from './static-files.js';

export interface ServerOptions extends ChatServerOptions {
  /** Port to listen on; 0 picks a free one. Default 8787. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Files to serve: URL prefix → directory (see static-files.ts). Default: none. */
  staticFiles?: Mounts;
  /** More routes, asked after the chat server's own and before the static files; true when answered. */
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** Serve HTTPS and WSS with this certificate and key (PEM). Default: plain HTTP and WS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * A connection whose request (or upgrade request) headers are not all in
   * after this long gets 408 and is closed. Default 10000.
   */
  headersTimeoutMs?: number;
  /** A request whose body is not all in after this long gets 408 and is closed. Default 15000. */
  requestTimeoutMs?: number;
}

/** How often Node checks the two timeouts above; its default (30 s) would let a slow socket stay 3x too long. */
const TIMEOUT_CHECK_MS = 1000;

export interface RunningServer {
  readonly http: Server;
  readonly chat: ChatServer;
  /** `http://host:port` (or `https://`) once listening. */
  readonly url: string;
  /** Graceful shutdown (see `ChatServer.drain`), then the HTTP server closes. */
  drain(deadlineMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The chat server on an HTTP(S) server of its own, on one port: WebSocket
 * upgrades on the chat path, its own routes (`/session`, `/healthz`,
 * `/metrics`), then `routes`, then `staticFiles`. Request timeouts are set
 * so that slow requests cannot hold sockets, and no request can throw.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const d = SERVER_DEFAULTS;
  const port = option('port', options.port, portNumber, d.port);
  const host = option('host', options.host, text, d.host);
  const mounts = option('staticFiles', options.staticFiles, anObject, {}) as Mounts;
  const routes = option('routes', options.routes, aFunction) as ServerOptions['routes'];
  const tls = option('tls', options.tls, tlsPair) as ServerOptions['tls'];
  const headersTimeout = option(
    'headersTimeoutMs',
    options.headersTimeoutMs,
    positiveInteger,
    d.headersTimeoutMs,
  );
  const requestTimeout = option(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    positiveInteger,
    d.requestTimeoutMs,
  );
  if (requestTimeout < headersTimeout) {
    throw new TypeError(
      `requestTimeoutMs (${requestTimeout}) must be at least headersTimeoutMs (${headersTimeout})`,
    );
  }
  const chat = createChatServer(options);
  const route = (request: IncomingMessage, response: ServerResponse): void => {
    if (requestUrl(request) === undefined) {
      plainAnswer(response, 400, 'Bad request target\n');
      return;
    }
    if (chat.handleRequest(request, response)) return;
    if (routes?.(request, response)) return;
    serveStatic(mounts, request, response)
      .then((served) => {
        if (!served) plainAnswer(response, 404, 'Not found\n');
      })
      .catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
  };
  // A bug in a route must cost one request, never the process and every live answer with it.
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    try {
      route(request, response);
    } catch (error) {
      options.logger?.error({ event: 'request_failed', error: String(error) }, 'request handler threw');
      if (!response.headersSent) plainAnswer(response, 500, 'Internal error\n');
      else response.destroy();
    }
  };
  const timeouts = { headersTimeout, requestTimeout, connectionsCheckingInterval: TIMEOUT_CHECK_MS };
  const http: Server = tls
    ? createHttpsServer({ ...timeouts, cert: tls.cert, key: tls.key }, handler)
    : createServer(timeouts, handler);
  chat.attach(http);
  // Without a listener Node drops a CONNECT silently; a stranger gets a plain answer.
  http.on('connect', (_request, socket: Duplex) => {
    refuseUpgrade(socket, 405, 'method not allowed');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const closeHttp = async (): Promise<void> => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    http,
    chat,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    async drain(deadlineMs) {
      await chat.drain(deadlineMs);
      await closeHttp();
    },
    async close() {
      await chat.close();
      await closeHttp();
    },
  };
}

function plainAnswer(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
