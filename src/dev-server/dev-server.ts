import type { ChatServerOptions } from '../server/chat-server.js';
import { type RunningServer, type ServerOptions, startServer } from '../server/http/http-server.js';
import { createDemoControls } from './demo-controls.js';
import { servedPages } from './package-root.js';

export interface DevServerOptions extends ServerOptions {
  /** Dev-only `/demo/network` and `/demo/drop` endpoints (see demo-controls.ts). Default off. */
  demoControls?: boolean;
}

/** @deprecated The running server is a `RunningServer`; this name stays for one release. */
export type DevServer = RunningServer;

/**
 * The server with the package's pages: the demo at `/` (in the installed
 * `ai-stream-chat-server` package, a minimal page with the widget) and the
 * built widget at `/dist/` (its bundles only), and, with `demoControls`, the demo page's
 * network switches. This is what the `ai-stream-chat-server` binary and
 * `npm start` run.
 */
export function startDevServer(options: DevServerOptions): Promise<RunningServer> {
  const { widgetDist, pages } = servedPages();
  const staticFiles = {
    // The widget's bundles and their source maps; never dist/node (this server's own code) or dist/types.
    '/dist/': { dir: widgetDist, only: /^ai-stream-chat(\.iife)?\.js(\.map)?$/ },
    '/': pages,
    ...options.staticFiles,
  };
  if (!options.demoControls) return startServer({ ...options, staticFiles });
  const demo = createDemoControls();
  const onSocket: NonNullable<ChatServerOptions['onSocket']> = (socket) => {
    options.onSocket?.(socket);
    demo.onSocket(socket);
  };
  return startServer({
    ...options,
    staticFiles,
    onSocket,
    routes: (request, response) =>
      demo.handleRequest(request, response) || (options.routes?.(request, response) ?? false),
  });
}
