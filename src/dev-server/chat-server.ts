import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Limits } from '../protocol/index.js';
import { Connection } from './connection.js';
import { Conversation } from './conversation.js';
import type { TokenSource } from './sources/types.js';

export interface ChatServerOptions {
  /** Where answers come from. */
  source: TokenSource;
  /** URL path that accepts WebSocket upgrades. Default `/ws`. */
  path?: string;
  /** Interval of WebSocket pings; a socket that misses one is terminated. Default 15000. */
  heartbeatMs?: number;
  /** Longest user message, in characters. Default 8000. */
  maxTextLength?: number;
  /** Largest inbound frame, in bytes; larger ones close the socket with 1009. Default 65536. */
  maxFrameBytes?: number;
}

export interface ChatServer {
  readonly path: string;
  /** Hands an HTTP upgrade request to the chat server; returns false when the path is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Routes `server`'s upgrade requests for `path` to the chat server. */
  attach(server: Server): void;
  /** Closes every socket and stops the heartbeat. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function createChatServer(options: ChatServerOptions): ChatServer {
  if (!options || typeof options.source?.generate !== 'function') {
    throw new TypeError('createChatServer: options.source must be a TokenSource with a generate() method');
  }
  const path = options.path ?? '/ws';
  if (!path.startsWith('/')) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);
  const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs ?? 15_000);
  const limits: Limits = {
    maxTextLength: positiveInteger('maxTextLength', options.maxTextLength ?? 8000),
    maxFrameBytes: positiveInteger('maxFrameBytes', options.maxFrameBytes ?? 64 * 1024),
  };

  const conversations = new Map<string, Conversation>();
  const openConversation = (id: string | undefined): Conversation => {
    const existing = id === undefined ? undefined : conversations.get(id);
    if (existing) return existing;
    const created = new Conversation(options.source);
    conversations.set(created.id, created);
    return created;
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
  });
  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('error', () => socket.terminate());
    new Connection(socket, { limits, heartbeatMs, openConversation });
  });
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== path) return false;
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    return true;
  };

  return {
    path,
    handleUpgrade,
    attach(server) {
      server.on('upgrade', (request, socket, head) => {
        if (!handleUpgrade(request, socket, head)) {
          socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        }
      });
    },
    close() {
      clearInterval(heartbeat);
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
