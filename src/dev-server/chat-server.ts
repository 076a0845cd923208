import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Limits } from '../protocol/index.js';
import { Connection } from './connection.js';
import type { FollowUpPolicy } from './conversation.js';
import { ConversationRegistry } from './conversation-registry.js';
import { type ParamsPolicy, resolveParamsPolicy } from './params-policy.js';
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
  /** A message sent while an answer streams waits for it (`queue`, default) or stops it (`interrupt`). */
  followUp?: FollowUpPolicy;
  /** Characters of deltas kept per answer for exact replay on resume. Default 262144. */
  replayMaxChars?: number;
  /** How long an answer's deltas are kept after it ends; later resumes get a snapshot. Default 300000. */
  replayRetentionMs?: number;
  /** A conversation nobody follows and nothing generates is forgotten after this long. Default 1800000. */
  conversationTtlMs?: number;
  /** Which per-message parameters clients may set, and their bounds. */
  params?: Partial<ParamsPolicy>;
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

  const followUp = options.followUp ?? 'queue';
  if (followUp !== 'queue' && followUp !== 'interrupt') {
    throw new TypeError(`followUp must be "queue" or "interrupt", got ${JSON.stringify(followUp)}`);
  }
  const params = resolveParamsPolicy(options.params);
  const conversations = new ConversationRegistry(
    {
      source: options.source,
      followUp,
      replayMaxChars: positiveInteger('replayMaxChars', options.replayMaxChars ?? 256 * 1024),
      replayRetentionMs: positiveInteger('replayRetentionMs', options.replayRetentionMs ?? 5 * 60_000),
    },
    positiveInteger('conversationTtlMs', options.conversationTtlMs ?? 30 * 60_000),
  );

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
    new Connection(socket, { limits, heartbeatMs, params, openConversation: (id) => conversations.open(id) });
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
      conversations.close();
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
