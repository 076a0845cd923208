/**
 * The node tests' kit: a server started in process and closed however the
 * test ends, waiting for a condition rather than for a while, and the
 * fixtures most tests need (a welcomed client, an upgrade's status, the open
 * connections a server counts).
 */
import WebSocket from 'ws';
import { isType, Peer } from '../../src/conformance/peer.js';
import { type DevServer, type DevServerOptions, startDevServer } from '../../src/dev-server/dev-server.js';
import { createMockSource } from '../../src/dev-server/sources/mock.js';

/** The chat endpoint of a server started in process: ws://host:port/ws. */
export const wsUrlOf = (server: { url: string }): string => `${server.url.replace(/^http/, 'ws')}/ws`;

/**
 * Starts a dev server in process on a free port (mock answers at full speed,
 * a delta per token, unless `options` say otherwise), runs `body` with its
 * chat URL, and closes it however `body` ends.
 */
export async function withServer<T>(
  options: Partial<DevServerOptions>,
  body: (wsUrl: string, server: DevServer) => Promise<T>,
): Promise<T> {
  const server = await startDevServer({
    port: 0,
    source: createMockSource({ tokensPerSecond: Number.POSITIVE_INFINITY }),
    // A delta per token (the window is tested on its own, and through the CLI's default elsewhere).
    deltaWindowMs: 0,
    ...options,
  });
  try {
    return await body(wsUrlOf(server), server);
  } finally {
    await server.close();
  }
}

/**
 * Resolves with the first value of `check` that is not undefined, null or
 * false, asking every `everyMs`; rejects naming `what` after `timeoutMs`.
 */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 10,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) {
      return value as Exclude<T, undefined | null | false>;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Opens a socket on `url` (with `headers`), says hello (with the fields of
 * `hello`, e.g. conversationId and resume) and resolves once welcomed.
 */
export async function welcomed(
  url: string,
  { hello = {}, headers = {} }: { hello?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<Peer> {
  const client = new Peer(url, headers);
  await new Promise((resolve, reject) => {
    client.socket.once('open', resolve);
    client.socket.once('error', reject);
  });
  client.send({ type: 'hello', v: 1, ...hello });
  await client.waitFor(isType('welcome'));
  return client;
}

/** Attempts an upgrade; resolves with the HTTP status of a refusal, or 101 when a WebSocket opened (and is closed). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve) => {
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.once('error', () => resolve(0));
  });
}

/** The WebSocket connections the server at `url` (http://host:port) has open, from its GET /healthz. */
export async function openConnections(url: string): Promise<number> {
  const response = await fetch(`${url}/healthz`);
  return ((await response.json()) as { connections: number }).connections;
}
