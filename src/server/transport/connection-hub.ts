import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/index.js';
import { closeWhenExpired } from '../auth/session-auth.js';
import type { SessionClaims } from '../auth/session-token.js';
import type { ChatMetrics } from '../ops/metrics.js';
import type { ResolvedChatServerOptions } from '../options/chat-server-options.js';
import type { ChatConversation } from '../store/conversation-store.js';
import { closePromptly } from './close-promptly.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { guardConnection } from './connection-limits.js';

/** Opens the conversation a connection asks for (see `Connection`'s context), for one client. */
export type ConversationOpener = (
  claims: SessionClaims | undefined,
  ip: string,
) => (id: string | undefined) => ChatConversation | Promise<ChatConversation> | undefined;

/**
 * The open WebSockets of one chat server: accepts the upgrades the gate let
 * through, gives each socket its `Connection` (limits, heartbeat, metrics and
 * logs), pings them all every heartbeat and closes them on the way out.
 */
export class ConnectionHub {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly bySocket = new WeakMap<WebSocket, Connection>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly events: ConnectionEvents;
  private connectionCount = 0;

  constructor(
    private readonly config: ResolvedChatServerOptions,
    private readonly metrics: ChatMetrics,
    private readonly openConversation: ConversationOpener,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.limits.maxFrameBytes,
      // Off unless asked for: measured in README (Wire weight), it costs memory and CPU per socket.
      perMessageDeflate: config.perMessageDeflate,
    });
    this.events = connectionEvents(config, metrics);
    metrics.outboundBytes = () => this.outboundBytes().reduce((a, b) => a + b, 0);
    this.heartbeat = setInterval(() => this.ping(), config.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.wss.clients.size;
  }

  /** Bytes held for each open connection, in no particular order. */
  outboundBytes(): number[] {
    return Array.from(this.connections, (c) => c.outboundBytes);
  }

  /** Completes an admitted upgrade and starts the protocol on the new socket. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer, claims: SessionClaims | undefined): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.open(ws, request, claims));
  }

  closeAll(code: number, reason: string): void {
    for (const socket of this.wss.clients) socket.close(code, reason);
  }

  terminateAll(): void {
    for (const socket of this.wss.clients) socket.terminate();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.closeAll(1001, 'server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private open(socket: WebSocket, request: IncomingMessage, claims: SessionClaims | undefined): void {
    const { config, metrics } = this;
    const { logger, serverLimits } = config;
    const connectionId = ++this.connectionCount;
    const opened = Date.now();
    const ip = serverLimits.clientIp(request);
    logger.info({ event: 'connection_open', connectionId, ip }, 'connection opened');
    config.onSocket?.(socket);
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));
    socket.on('error', () => socket.terminate());
    if (claims) closeWhenExpired(socket, claims);
    metrics.connectionsAccepted.inc();
    const guard = guardConnection(socket, serverLimits);
    const open = this.openConversation(claims, ip);
    const connection = new Connection(socket, {
      limits: config.limits,
      heartbeatMs: config.heartbeatMs,
      params: config.params,
      openConversation: (id) => {
        guard.helloReceived();
        return open(id);
      },
      admitFrame: () => {
        const verdict = guard.admitFrame();
        if (verdict !== true) metrics.rateLimited.inc();
        return verdict;
      },
      // With `interrupt` a send replaces what waits, so nothing piles up.
      maxQueuedPerConversation: config.followUp === 'queue' ? config.maxQueuedPerConversation : undefined,
      backpressure: config.backpressure,
      events: this.events,
      id: connectionId,
    });
    this.connections.add(connection);
    this.bySocket.set(socket, connection);
    socket.once('close', (code) => {
      this.connections.delete(connection);
      metrics.closes.inc({ code: String(code) });
      logger.info(
        { event: 'connection_close', connectionId, code, durationMs: Date.now() - opened },
        'connection closed',
      );
    });
  }

  /**
   * A socket that did not answer the last ping is not reading (or its network
   * is gone: the server cannot tell which): it is closed with 4008, which a
   * client that reads again within `CLOSE_GRACE_MS` sees; one that does not
   * is dropped then. One that is backlogged is left to the slow-consumer
   * clock (its pong waits behind the frames it has not read yet). The others
   * are pinged again.
   */
  private ping(): void {
    for (const socket of this.wss.clients) {
      if (!this.alive.has(socket)) {
        if (socket.readyState === socket.CLOSING) socket.terminate();
        else if (!this.bySocket.get(socket)?.backlogged) {
          this.metrics.missedHeartbeats.inc();
          closePromptly(socket, CloseCode.SlowConsumer, 'no pong: not reading');
        }
        continue;
      }
      this.alive.delete(socket);
      socket.ping();
    }
  }
}

/** One object for every connection: each event names its connection. */
function connectionEvents(config: ResolvedChatServerOptions, metrics: ChatMetrics): ConnectionEvents {
  const { logger } = config;
  return {
    coalesced: (_id, merged) => metrics.deltasCoalesced.inc({}, merged),
    slowConsumer: (connectionId) => {
      metrics.slowConsumers.inc();
      logger.warn({ event: 'slow_consumer', connectionId }, 'closing a slow consumer with 4008');
    },
    errorFrame: (connectionId, frame) => {
      metrics.errorFrames.inc({ code: frame.code });
      const level = frame.code === 'source_failed' || frame.code === 'internal' ? 'warn' : 'info';
      logger[level]({ event: 'error_frame', connectionId, code: frame.code }, 'error frame sent');
    },
    resume: (connectionId, result) => {
      metrics.resumes.inc({ result });
      logger.debug({ event: 'resume', connectionId, result }, 'answer resumed');
    },
    welcomed: (connectionId, conversationId) =>
      logger.debug({ event: 'welcome', connectionId, conversationId }, 'client welcomed'),
    feedback: (connectionId, feedback) => {
      const { conversationId, messageId, value } = feedback;
      logger.info({ event: 'feedback', connectionId, conversationId, messageId, value }, 'answer feedback');
      const failed = (error: unknown): void =>
        logger.error(
          { event: 'feedback_hook_failed', connectionId, error: String(error) },
          'onFeedback failed',
        );
      try {
        void Promise.resolve(config.onFeedback?.(feedback)).catch(failed);
      } catch (error) {
        failed(error);
      }
    },
  };
}
