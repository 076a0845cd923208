import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSessionEndpoint } from './auth/session-endpoint.js';
import type { SessionClaims } from './auth/session-token.js';
import { ActiveGenerations } from './conversation/active-generations.js';
import { newId } from './conversation/ids.js';
import { ChatMetrics, createOpsEndpoint } from './ops/metrics.js';
import {
  type ChatServerOptions,
  type ResolvedChatServerOptions,
  resolveChatServerOptions,
} from './options/chat-server-options.js';
import { option, positiveInteger } from './options/check.js';
import { wholeCharacters } from './sources/whole-characters.js';
import type { ConversationStore } from './store/conversation-store.js';
import { openConversationStore } from './store/open-store.js';
import { ConnectionHub, type ConversationOpener } from './transport/connection-hub.js';
import { KeyedRateLimiter } from './transport/keyed-rate-limiter.js';
import { UpgradeGate } from './transport/upgrade-gate.js';
import { refuseUpgrade } from './transport/upgrade-guard.js';

export type { ChatServerAuthOptions } from './auth/session-auth.js';
export type { ChatLogger } from './ops/logger.js';
export type { ChatServerOptions } from './options/chat-server-options.js';

export interface ChatServer {
  readonly path: string;
  /** Counters behind `GET /metrics`. */
  readonly metrics: ChatMetrics;
  /** Hands an HTTP upgrade request to the chat server; returns false when the path is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Answers the server's own HTTP requests (`POST /session`, `GET /healthz`, `GET /metrics`); false when the path is not ours. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  /** Routes `server`'s upgrade requests for `path` to the chat server. */
  attach(server: Server): void;
  /** Bytes held for each open connection (send buffer plus coalesced frames waiting), in no particular order. */
  outboundBytes(): number[];
  /**
   * Graceful shutdown: refuses new upgrades (HTTP 503) and reports `draining`
   * on the health path (HTTP 503), closes every socket with 1001 so clients
   * reconnect elsewhere, lets answers being generated finish for up to
   * `deadlineMs` (they are kept for resumes), then stops what is left, which
   * ends `interrupted`, and closes like `close()`.
   */
  drain(deadlineMs: number): Promise<void>;
  /** Whether `drain` was called. */
  readonly draining: boolean;
  /** Closes every socket and stops the heartbeat. */
  close(): Promise<void>;
}

/**
 * The chat server: checked options, then its parts (the conversation store
 * behind a metered source, the upgrade gate, the hub of open connections,
 * the HTTP routes), wired together. Each part is its own file.
 */
export function createChatServer(options: ChatServerOptions): ChatServer {
  const config = resolveChatServerOptions(options);
  const metrics = new ChatMetrics();
  const generations = new ActiveGenerations();
  metrics.activeStreams = () => generations.count;
  const conversations = openConversationStore(
    config,
    metrics.meter(wholeCharacters(config.source), config.logger, generations),
  );
  const newConversations = new KeyedRateLimiter(
    config.conversation.maxNewConversationsPerIp,
    config.conversation.newConversationWindowMs,
  );
  const gate = new UpgradeGate(config, metrics);
  const hub = new ConnectionHub(config, metrics, conversationOpener(conversations, newConversations));
  const routes = httpRoutes(config, metrics, hub, conversations, () => gate.draining);

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const verdict = gate.admit(request, socket);
    if (verdict === 'not-ours') return false;
    if (verdict !== 'refused') hub.accept(request, socket, head, verdict.claims);
    return true;
  };
  const close = async (): Promise<void> => {
    await hub.close();
    newConversations.close();
    await conversations.close();
  };

  return {
    path: config.path,
    metrics,
    handleUpgrade,
    handleRequest: routes,
    outboundBytes: () => hub.outboundBytes(),
    attach: (server) => attachTo(server, gate, handleUpgrade, config),
    get draining() {
      return gate.draining;
    },
    async drain(deadlineMs) {
      option('drain deadlineMs', deadlineMs, positiveInteger);
      gate.draining = true;
      const { logger } = config;
      logger.info(
        { event: 'drain_start', connections: hub.size, activeStreams: generations.count, deadlineMs },
        'draining',
      );
      hub.closeAll(1001, 'going away');
      await generations.idle(deadlineMs);
      const interrupted = generations.count;
      await conversations.close(); // what is still generating ends `interrupted`
      await generations.idle(1000);
      // Clients had the whole deadline to answer the close; do not wait on the rest.
      hub.terminateAll();
      logger.info({ event: 'drain_end', interrupted }, 'drained');
      await close();
    },
    close,
  };
}

/** With a session token, a connection may open its own conversation only; new ones count against its address. */
function conversationOpener(
  conversations: ConversationStore,
  newConversations: KeyedRateLimiter,
): ConversationOpener {
  return (claims: SessionClaims | undefined, ip: string) => (id) => {
    const admitNew = (): number => newConversations.take(ip);
    if (!claims) return conversations.open(id, { admitNew });
    if (id !== undefined && id !== claims.conversationId) return undefined;
    return conversations.open(claims.conversationId, { createWithId: true, admitNew });
  };
}

/** The server's own HTTP routes: `POST /session` (with sessions), `GET /healthz` and `GET /metrics`. */
function httpRoutes(
  config: ResolvedChatServerOptions,
  metrics: ChatMetrics,
  hub: ConnectionHub,
  conversations: ConversationStore,
  draining: () => boolean,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { auth, operations } = config;
  const sessionEndpoint =
    auth &&
    createSessionEndpoint({
      ...auth,
      path: auth.sessionPath,
      allowedOrigins: config.allowedOrigins,
      newConversationId: () => newId('c'),
    });
  const opsEndpoint =
    operations === false
      ? undefined
      : createOpsEndpoint(
          metrics,
          () => hub.size,
          () => conversations.health(),
          { health: operations.healthPath, metrics: operations.metricsPath },
          draining,
        );
  return (request, response) =>
    (sessionEndpoint?.(request, response) || opsEndpoint?.(request, response)) ?? false;
}

/** Routes `server`'s upgrade requests to the chat server; others get 404, and one that throws costs its socket only. */
function attachTo(
  server: Server,
  gate: UpgradeGate,
  handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean,
  config: ResolvedChatServerOptions,
): void {
  gate.watch(server);
  server.on('upgrade', (request, socket, head) => {
    try {
      if (!handleUpgrade(request, socket, head)) refuseUpgrade(socket, 404, 'not found');
    } catch (error) {
      config.logger.error({ event: 'upgrade_failed', error: String(error) }, 'upgrade handler threw');
      refuseUpgrade(socket, 500, 'internal error');
    }
  });
}
