import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type ChatServer, type ChatServerOptions, createChatServer } from './chat-server.js';
import { createDemoControls, type DemoControls } from './demo-controls.js';
import { packageRoot } from './package-root.js';
import { serveStatic } from './static-files.js';

export interface DevServerOptions extends ChatServerOptions {
  /** Port to listen on; 0 picks a free one. Default 8787. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Dev-only `/demo/network` and `/demo/drop` endpoints (see demo-controls.ts). Default off. */
  demoControls?: boolean;
}

export interface DevServer {
  readonly http: Server;
  readonly chat: ChatServer;
  /** `http://host:port` once listening. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * One HTTP server on one port: the demo pages at `/`, the built widget at
 * `/dist/`, and WebSocket upgrades on the chat path.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const host = options.host ?? '127.0.0.1';
  const root = packageRoot();
  const mounts = { '/dist/': join(root, 'dist'), '/': join(root, 'demo') };
  const demo = options.demoControls ? createDemoControls() : undefined;
  const chat = createChatServer(
    demo ? { ...options, onSocket: chainOnSocket(options.onSocket, demo) } : options,
  );
  const http = createServer((request, response) => {
    if (chat.handleRequest(request, response)) return;
    if (demo?.handleRequest(request, response)) return;
    serveStatic(mounts, request, response)
      .then((served) => {
        if (!served) {
          response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          response.end('Not found\n');
        }
      })
      .catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
  });
  chat.attach(http);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    http,
    chat,
    url: `http://${shownHost}:${address.port}`,
    async close() {
      await chat.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function chainOnSocket(
  own: ChatServerOptions['onSocket'],
  demo: DemoControls,
): NonNullable<ChatServerOptions['onSocket']> {
  return (socket) => {
    own?.(socket);
    demo.onSocket(socket);
  };
}
